// Mappable staging buffers for readbacks, kept in a pool keyed by size so repeated reads (metrics every few
// steps, evaluation results) allocate nothing after the first time. Capped per size, with byte counters.
import type { Gpu } from './gpu';

const MAX_PER_SIZE = 8;

export class ReadbackPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private allocated = 0;
  private inUse = 0;

  constructor(private readonly gpu: Gpu) {}

  /** A MAP_READ | COPY_DST buffer of at least `bytes` (rounded to 256). Return it with release() after unmapping. */
  acquire(bytes: number): GPUBuffer {
    const size = Math.max(256, Math.ceil(bytes / 256) * 256);
    const list = this.free.get(size);
    const buf =
      list?.pop() ??
      ((this.allocated += size),
      this.gpu.device.createBuffer({ label: `readback.${size}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
    this.inUse += size;
    return buf;
  }

  release(buf: GPUBuffer): void {
    this.inUse -= buf.size;
    const list = this.free.get(buf.size) ?? [];
    if (list.length < MAX_PER_SIZE) {
      list.push(buf);
      this.free.set(buf.size, list);
    } else {
      this.allocated -= buf.size;
      buf.destroy();
    }
  }

  /** Maps `buf`, copies out `bytes`, unmaps and releases it. */
  async read(buf: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    await buf.mapAsync(GPUMapMode.READ, 0, Math.ceil(bytes / 4) * 4);
    const out = buf.getMappedRange(0, Math.ceil(bytes / 4) * 4).slice(0, bytes);
    buf.unmap();
    this.release(buf);
    return out;
  }

  stats(): { bytesAllocated: number; bytesInUse: number } {
    return { bytesAllocated: this.allocated, bytesInUse: this.inUse };
  }

  destroy(): void {
    for (const l of this.free.values()) l.forEach((b) => b.destroy());
    this.free.clear();
  }
}
