// Per-layer L2 norms of a run's weights and of their gradients, taken on the GPU right after a training step
// (two sum-of-squares dispatches over the parameter and gradient arenas) and read back with the metrics, so the
// UI can show whether the gradient still reaches the first layers: the paper's degradation problem, visible.
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import type { ReadbackPool } from '../gpu/readback';
import { record, type Dispatch } from '../kernels/kernel';
import { layerNormsLayout, type Network } from '../model/network';

export interface Norms {
  grad: number[];
  weight: number[];
}

export class LayerNormProbe {
  private constructor(
    readonly layers: string[],
    private readonly out: GPUBuffer,
    private readonly dispatches: Dispatch[],
    private readonly weightAt: number,
  ) {}

  static async create(gpu: Gpu, label: string, network: Network): Promise<LayerNormProbe> {
    const layers = network.layerNames();
    const { weightAt, floats } = layerNormsLayout(layers.length);
    const out = createStorage(gpu, `${label}.layerNorms`, floats * 4);
    try {
      return new LayerNormProbe(layers, out, await network.layerNormsDispatches(label, out), weightAt);
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
