// Per-node GPU times from timestamp queries: every profiled node gets its own compute pass with
// timestampWrites at its start and end. Only for benchmarks (one pass per node costs a little).
import type { Gpu } from './gpu';

export interface KernelTime {
  label: string;
  ms: number;
}

export class Profiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private readonly readBuf: GPUBuffer;
  private labels: string[] = [];

  constructor(
    gpu: Gpu,
    private readonly capacity: number,
  ) {
    if (!gpu.hasTimestamps) throw new Error(`adapter ${gpu.adapterName} has no timestamp-query feature`);
    this.querySet = gpu.device.createQuerySet({ label: 'profiler.queries', type: 'timestamp', count: capacity * 2 });
    this.resolveBuf = gpu.device.createBuffer({
      label: 'profiler.resolve',
      size: capacity * 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.readBuf = gpu.device.createBuffer({
      label: 'profiler.read',
      size: capacity * 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** Starts a fresh measurement. */
  reset(): void {
    this.labels = [];
  }

  /** A compute pass whose start and end are timestamped under `label`. */
  pass(enc: GPUCommandEncoder, label: string): GPUComputePassEncoder {
    const i = this.labels.length;
    if (i >= this.capacity) throw new Error(`profiler holds ${this.capacity} passes`);
    this.labels.push(label);
    return enc.beginComputePass({
      label,
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
  }

  /** Call after the last pass, before finishing the encoder. */
  resolve(enc: GPUCommandEncoder): void {
    const n = this.labels.length * 2;
    if (n === 0) return;
    enc.resolveQuerySet(this.querySet, 0, n, this.resolveBuf, 0);
    enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, 0, n * 8);
  }

  /** After submit: the time of each pass. */
  async read(): Promise<KernelTime[]> {
    await this.readBuf.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(this.readBuf.getMappedRange().slice(0, this.labels.length * 16));
    this.readBuf.unmap();
    return this.labels.map((label, i) => ({ label, ms: Number(t[2 * i + 1] - t[2 * i]) / 1e6 }));
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
    this.readBuf.destroy();
  }
}
