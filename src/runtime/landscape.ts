// Loss landscape (Li et al. 2018): the loss of a network on a fixed set of batches at weights base + a*d1 + b*d2,
// for many points (a, b). Per point, one submit: the lincomb kernel writes the weights into the network's
// parameter arena, then a train-mode-BN forward per batch (batch statistics: well defined at any weights; the
// running statistics are not touched) adds up the loss on the GPU; the sums are read back once per chunk of points.
// The network's weights are overwritten: use a scratch copy of a run's network, never the run's own.
// Directions are drawn and filter-normalised on the CPU once, before the evaluations (a setup step, like
// initialisation).
import type { Gpu } from '../gpu/gpu';
import { createStorage, uploadNew } from '../gpu/buffers';
import type { ReadbackPool } from '../gpu/readback';
import { lincomb, setLincomb } from '../kernels/lincomb';
import { record } from '../kernels/kernel';
import { Rng } from '../util/rng';
import type { Arena, StateTensor } from './arenas';
import type { Network } from './network';
import type { StepTarget } from './targets';

export type Weights = Record<string, Float32Array>;

/** Parameters by name laid out like `arena` (alignment gaps and missing names are zeros). */
export function toArenaLayout(arena: Arena, w: Weights): Float32Array {
  const out = new Float32Array(arena.floats);
  for (const [name, at] of arena.offsets) {
    const v = w[name];
    if (v) out.set(v.subarray(0, at.count), at.offset);
  }
  return out;
}

/**
 * A random direction, filter-normalised (Li et al. 2018, sec. 4): each filter of a convolution (and each row of the
 * fc weight) gets the norm of the same filter of `weights`; 1-D parameters (BN scale and shift, biases) get zero.
 */
export function filterNormalisedDirection(weights: Weights, shapes: readonly StateTensor[], rng: Rng): Weights {
  const out: Weights = {};
  for (const t of shapes) {
    if (t.kind !== 'param') continue;
    const w = weights[t.name];
    const d = new Float32Array(w.length);
    if (t.shape.length >= 2) {
      const per = w.length / t.shape[0];
      for (let f = 0; f < t.shape[0]; f++) {
        let dn = 0;
        let wn = 0;
        for (let i = f * per; i < (f + 1) * per; i++) {
          d[i] = rng.normal();
          dn += d[i] * d[i];
          wn += w[i] * w[i];
        }
        const s = dn > 0 ? Math.sqrt(wn / dn) : 0;
        for (let i = f * per; i < (f + 1) * per; i++) d[i] *= s;
      }
    }
    out[t.name] = d;
  }
  return out;
}

export interface LandscapeBatches {
  /** Batches per point. */
  count: number;
  /** Records what fills the target's image and label buffers with batch k (0-based); no-op for a single uploaded batch. */
  fill(enc: GPUCommandEncoder, k: number): void;
}

export class LandscapeProbe {
  private constructor(
    private readonly gpu: Gpu,
    private readonly network: Network,
    private readonly target: StepTarget,
    private readonly buffers: GPUBuffer[],
    private readonly results: GPUBuffer,
    private readonly dispatch: import('../kernels/kernel').Dispatch,
    private readonly count: number,
    private readonly chunk: number,
  ) {}

  /** `target`: a train-mode target of `network`; at most `chunk` points are read back at a time. */
  static async create(
    gpu: Gpu,
    network: Network,
    target: StepTarget,
    base: Weights,
    d1: Weights,
    d2: Weights,
    chunk = 32,
  ): Promise<LandscapeProbe> {
    if (target.mode !== 'train') throw new Error('the landscape uses train-mode BN');
    const arena = network.arenas().params;
    const buffers = [base, d1, d2].map((w, i) => uploadNew(gpu, `landscape.${['base', 'd1', 'd2'][i]}`, toArenaLayout(arena, w)));
    const results = createStorage(gpu, 'landscape.results', chunk * 8);
    try {
      const d = await lincomb(
        gpu,
        'landscape.lincomb',
        arena.floats,
        { buffer: buffers[0] },
        { buffer: buffers[1] },
        { buffer: buffers[2] },
        { buffer: arena.buffer },
      );
      return new LandscapeProbe(gpu, network, target, buffers, results, d, arena.floats, chunk);
    } catch (e) {
      [...buffers, results].forEach((b) => b.destroy());
      throw e;
    }
  }

  /**
   * Mean loss over the batches at each point; `onChunk(done)` after each chunk is read, and `cancelled()` checked
   * before each chunk (the points not evaluated are NaN).
   */
  async evaluate(
    points: readonly (readonly [number, number])[],
    batches: LandscapeBatches,
    readback: ReadbackPool,
    opts: { onChunk?: (done: number) => void; cancelled?: () => boolean } = {},
  ): Promise<number[]> {
    const q = this.gpu.device.queue;
    const out = new Array<number>(points.length).fill(NaN);
    const zeros = new Float32Array(2);
    const images = batches.count * this.target.batch;
    for (let from = 0; from < points.length; from += this.chunk) {
      if (opts.cancelled?.()) break;
      const n = Math.min(this.chunk, points.length - from);
      for (let i = 0; i < n; i++) {
        const [a, b] = points[from + i];
        setLincomb(this.gpu, this.dispatch, this.count, a, b);
        q.writeBuffer(this.target.metrics, 8, zeros);
        const enc = this.gpu.device.createCommandEncoder({ label: 'landscape.point' });
        const pass = enc.beginComputePass({ label: 'landscape.weights' });
        record(pass, [this.dispatch]);
        pass.end();
        for (let k = 0; k < batches.count; k++) {
          batches.fill(enc, k);
          this.network.encodeStep(enc, this.target, 'forwardNoUpdate');
        }
        enc.copyBufferToBuffer(this.target.metrics, 8, this.results, i * 8, 8);
        q.submit([enc.finish()]);
      }
      const staging = readback.acquire(n * 8);
      const enc = this.gpu.device.createCommandEncoder({ label: 'landscape.read' });
      enc.copyBufferToBuffer(this.results, 0, staging, 0, n * 8);
      q.submit([enc.finish()]);
      const sums = new Float32Array(await readback.read(staging, n * 8));
      for (let i = 0; i < n; i++) out[from + i] = sums[2 * i] / images;
      opts.onChunk?.(from + n);
    }
    return out;
  }

  destroy(): void {
    [...this.buffers, this.results].forEach((b) => b.destroy());
    this.dispatch.uniforms?.destroy();
  }
}
