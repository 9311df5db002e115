// Buffer creation with labels and limit checks, uploads and readbacks.
import type { Gpu } from './gpu';

export class GpuCapacityError extends Error {
  override name = 'GpuCapacityError';
}

// A function, not a constant: the module must load where WebGPU is absent (Node tests import the op
// table, src/graph/ops, which lowers through the kernel wrappers).
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Bytes rounded up to a multiple of 16 (uniform and copy alignment; also lets vec4 loads run off the end). */
export const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;
export const align = (bytes: number, to: number) => Math.ceil(bytes / to) * to;

/** A storage buffer; a size past the device's limits throws an error that names the tensor and the limit. */
export function createStorage(gpu: Gpu, label: string, bytes: number, usage = storageUsage()): GPUBuffer {
  const size = align16(Math.max(bytes, 16));
  if (size > gpu.limits.maxBufferSize) {
    throw new GpuCapacityError(
      `${label} needs ${fmtBytes(size)}, more than this GPU's maxBufferSize (${fmtBytes(gpu.limits.maxBufferSize)}). Use a smaller batch size.`,
    );
  }
  if (size > gpu.limits.maxStorageBufferBindingSize) {
    throw new GpuCapacityError(
      `${label} needs ${fmtBytes(size)}, more than this GPU's maxStorageBufferBindingSize (${fmtBytes(gpu.limits.maxStorageBufferBindingSize)}). Use a smaller batch size.`,
    );
  }
  return gpu.device.createBuffer({ label, size, usage });
}

export function createUniform(gpu: Gpu, label: string, data: ArrayBufferView): GPUBuffer {
  const buffer = gpu.device.createBuffer({
    label,
    size: align16(Math.max(data.byteLength, 16)),
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  gpu.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** A storage buffer filled with `data`. */
export function uploadNew(gpu: Gpu, label: string, data: ArrayBufferView, usage = storageUsage()): GPUBuffer {
  const buffer = createStorage(gpu, label, data.byteLength, usage);
  gpu.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Copies `bytes` from `buffer` at `offset` back to the CPU (offset and bytes multiples of 4). */
export async function readBuffer(gpu: Gpu, buffer: GPUBuffer, offset = 0, bytes = buffer.size - offset): Promise<ArrayBuffer> {
  const size = align(bytes, 4);
  const staging = gpu.device.createBuffer({
    label: `${buffer.label}.readback`,
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = gpu.device.createCommandEncoder({ label: `${buffer.label}.readback` });
  enc.copyBufferToBuffer(buffer, offset, staging, 0, size);
  gpu.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.destroy();
  return out;
}

export async function readF32(gpu: Gpu, buffer: GPUBuffer, offset = 0, count = (buffer.size - offset) / 4): Promise<Float32Array> {
  return new Float32Array(await readBuffer(gpu, buffer, offset, count * 4));
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
