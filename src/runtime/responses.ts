// Layer responses (He et al. 2015, Fig. 7) measured on the GPU: after a forward pass of a probe graph (resnet.ts
// NetGraphOptions.probe, eval-mode BN), the per-channel mean and variance of every 3x3 layer's response (the BN
// statistics kernel) and the sums of squares of each residual block's F(x) and shortcut (the sum-of-squares
// kernel). Only those few numbers per layer are read back; the per-layer standard deviation is combined from
// the per-channel moments (C numbers per layer).
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import type { ReadbackPool } from '../gpu/readback';
import { perChannel } from '../geometry';
import { bnStats, scratchFreeVariant } from '../kernels/batchnorm';
import { record, type BufferRef, type Dispatch } from '../kernels/kernel';
import { sumSquares } from '../kernels/sumsq';
import { numel } from '../graph/ir';
import { ALIGN_FLOATS } from './arenas';
import type { StepTarget } from './targets';

export interface LayerResponse {
  /** The convolution's name (`layer2.0.conv1`). */
  name: string;
  /** Standard deviation of the response over the whole batch (all images, channels and positions). */
  std: number;
}

export interface BlockRatio {
  /** The block's name (`layer1.0`). */
  name: string;
  /** ||F(x)|| / ||shortcut(x)|| over the batch: how far the block moves its input. */
  ratio: number;
}

export interface Responses {
  layers: LayerResponse[];
  blocks: BlockRatio[];
}

/**
 * The standard deviation over all elements from per-channel means and biased variances over equal-sized groups:
 * total variance = mean of the variances + variance of the means.
 */
export function pooledStd(means: ArrayLike<number>, variances: ArrayLike<number>): number {
  const c = means.length;
  let mv = 0;
  let m = 0;
  let m2 = 0;
  for (let i = 0; i < c; i++) {
    mv += variances[i];
    m += means[i];
    m2 += means[i] * means[i];
  }
  mv /= c;
  m /= c;
  return Math.sqrt(Math.max(0, mv + m2 / c - m * m));
}

const aligned = (floats: number) => Math.ceil(Math.max(floats, 1) / ALIGN_FLOATS) * ALIGN_FLOATS;

export class ResponseProbe {
  private constructor(
    private readonly target: StepTarget,
    private readonly out: GPUBuffer,
    private readonly dispatches: Dispatch[],
    /** Per layer: float offset of its means (variances follow at +aligned(C)) and C. */
    private readonly layerAt: { at: number; c: number }[],
    /** Per block: float offsets of the residual's and the shortcut's sum of squares. */
    private readonly blockAt: { f: number; x: number }[],
    private readonly floats: number,
  ) {}

  /** Stats dispatches over the probed tensors of `target` (a probe graph). */
  static async create(gpu: Gpu, label: string, target: StepTarget): Promise<ResponseProbe> {
    const probes = target.net.probes;
    if (!probes) throw new Error('layer responses need a probe graph');
    const g = target.net.b.graph;
    const refOf = (id: number): BufferRef => {
      const r = target.compiled.refs.get(id);
      if (!r) throw new Error(`${g.tensors[id].name} has no buffer`);
      return r;
    };
    let at = 0;
    const layerAt = probes.responses.map((r) => {
      const c = g.tensors[r.id].shape[1];
      const slot = { at, c };
      at += 2 * aligned(c);
      return slot;
    });
    const blockAt = probes.blocks.map(() => {
      const slot = { f: at, x: at + ALIGN_FLOATS };
      at += 2 * ALIGN_FLOATS;
      return slot;
    });
    const floats = Math.max(at, ALIGN_FLOATS);
    const out = createStorage(gpu, `${label}.responses`, floats * 4);
    const slice = (from: number, count: number): BufferRef => ({ buffer: out, offset: from * 4, size: count * 4 });
    try {
      const dispatches = await Promise.all([
        ...probes.responses.map((r, i) => {
          const { at: m, c } = layerAt[i];
          return bnStats(
            gpu,
            `${label}.${r.name}.stats`,
            perChannel(g.tensors[r.id].shape),
            refOf(r.id),
            slice(m, c),
            slice(m + aligned(c), c),
            { variant: scratchFreeVariant(gpu.tuning) },
          );
        }),
        ...probes.blocks.flatMap((k, i) => [
          sumSquares(
            gpu,
            `${label}.${k.name}.residual`,
            [{ offset: 0, count: numel(g.tensors[k.residual].shape) }],
            refOf(k.residual),
            slice(blockAt[i].f, 1),
          ),
          sumSquares(
            gpu,
            `${label}.${k.name}.shortcut`,
            [{ offset: 0, count: numel(g.tensors[k.shortcut].shape) }],
            refOf(k.shortcut),
            slice(blockAt[i].x, 1),
          ),
        ]),
      ]).then((d) => d.flat());
      return new ResponseProbe(target, out, dispatches, layerAt, blockAt, floats);
    } catch (e) {
      out.destroy();
      throw e;
    }
  }

  /**
   * Records the statistics of what the encoder's last forward pass on the target left (call after encodeStep on
   * the same encoder), and their copy to a staging buffer; returns what reads them, to call after the submit.
   */
  encode(enc: GPUCommandEncoder, readback: ReadbackPool): () => Promise<Responses> {
    const pass = enc.beginComputePass({ label: 'responses' });
    record(pass, this.dispatches);
    pass.end();
    const bytes = this.floats * 4;
    const staging = readback.acquire(bytes);
    enc.copyBufferToBuffer(this.out, 0, staging, 0, bytes);
    const probes = this.target.net.probes!;
    return async () => {
      const v = new Float32Array(await readback.read(staging, bytes));
      const layers = probes.responses.map((r, i) => {
        const { at, c } = this.layerAt[i];
        return { name: r.name, std: pooledStd(v.subarray(at, at + c), v.subarray(at + aligned(c), at + aligned(c) + c)) };
      });
      const blocks = probes.blocks.map((k, i) => ({ name: k.name, ratio: Math.sqrt(v[this.blockAt[i].f] / v[this.blockAt[i].x]) }));
      return { layers, blocks };
    };
  }

  destroy(): void {
    this.out.destroy();
    for (const d of this.dispatches) d.uniforms?.destroy();
  }
}
