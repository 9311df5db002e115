// Per-layer L2 norms of a network's weights and of their gradients, taken on the GPU right after a training step
// (two sum-of-squares dispatches over the parameter and gradient arenas) and read back with the metrics, so the
// UI can show whether the gradient still reaches the first layers: the paper's degradation problem, visible.
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import type { ReadbackPool } from '../gpu/readback';
import { record, type Dispatch } from '../kernels/kernel';
import { sumSquares } from '../kernels/sumsq';
import { ALIGN_FLOATS, type Arena, type NetworkArenas } from './arenas';
import type { Network } from './network';

export interface Norms {
  grad: number[];
  weight: number[];
}

/**
 * Where the norms' dispatches write: gradient sums at float 0, weight sums at `weightAt` (a storage binding
 * offset must be a multiple of 256 bytes); `floats` in all.
 */
export function layerNormsLayout(layers: number): { weightAt: number; floats: number } {
  const weightAt = Math.ceil(Math.max(layers, 1) / ALIGN_FLOATS) * ALIGN_FLOATS;
  return { weightAt, floats: 2 * weightAt };
}

/** Weight tensors (convolutions and the fc layer: rank 4 and 2), input to output: the layers whose norms are taken. */
export function normLayers(arenas: NetworkArenas): string[] {
  return arenas.order.filter((o) => o.kind === 'param' && (o.shape.length === 4 || o.shape.length === 2)).map((o) => o.name);
}

/**
 * Dispatches that write the per-layer sums of squares of the gradients (floats 0 .. L-1 of `out`) and of the
 * weights (floats `weightAt` ..) for `names`: the last backward pass's gradients, as the train step left them
 * (SGD adds weight decay into the momentum, not into the gradient). `out` holds layerNormsLayout().floats floats.
 */
function layerNormsDispatches(gpu: Gpu, label: string, arenas: NetworkArenas, names: string[], out: GPUBuffer): Promise<Dispatch[]> {
  const { weightAt } = layerNormsLayout(names.length);
  const segments = (a: Arena) => names.map((n) => a.offsets.get(n)!);
  return Promise.all([
    sumSquares(
      gpu,
      `${label}.grad`,
      segments(arenas.grads),
      { buffer: arenas.grads.buffer },
      { buffer: out, offset: 0, size: names.length * 4 },
    ),
    sumSquares(
      gpu,
      `${label}.weight`,
      segments(arenas.params),
      { buffer: arenas.params.buffer },
      { buffer: out, offset: weightAt * 4, size: names.length * 4 },
    ),
  ]);
}

export class LayerNormProbe {
  private constructor(
    readonly layers: string[],
    private readonly out: GPUBuffer,
    private readonly dispatches: Dispatch[],
    private readonly weightAt: number,
  ) {}

  static async create(gpu: Gpu, label: string, network: Network): Promise<LayerNormProbe> {
    const arenas = network.arenas();
    const layers = normLayers(arenas);
    const { weightAt, floats } = layerNormsLayout(layers.length);
    const out = createStorage(gpu, `${label}.layerNorms`, floats * 4);
    try {
      return new LayerNormProbe(layers, out, await layerNormsDispatches(gpu, label, arenas, layers, out), weightAt);
    } catch (e) {
      out.destroy();
      throw e;
    }
  }

  /**
   * Records the norms of the gradients the encoder's last training step left, and their copy into a pooled
   * staging buffer; returns what reads them, to call after the encoder is submitted.
   */
  encode(enc: GPUCommandEncoder, readback: ReadbackPool): () => Promise<Norms> {
    const pass = enc.beginComputePass({ label: 'layerNorms' });
    record(pass, this.dispatches);
    pass.end();
    const bytes = this.out.size;
    const staging = readback.acquire(bytes);
    enc.copyBufferToBuffer(this.out, 0, staging, 0, bytes);
    const n = this.layers.length;
    return async () => {
      const sums = new Float32Array(await readback.read(staging, bytes));
      const norms = (from: number) => Array.from(sums.subarray(from, from + n), Math.sqrt);
      return { grad: norms(0), weight: norms(this.weightAt) };
    };
  }

  destroy(): void {
    this.out.destroy();
  }
}
