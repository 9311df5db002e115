// Shared helpers for GPU-vs-reference tests: one device per test file, upload, run, read back, compare.
import { createGpu, type Gpu } from '../../src/gpu/gpu';
import { readF32, uploadNew, createStorage } from '../../src/gpu/buffers';
import { run, type Dispatch } from '../../src/kernels/kernel';

let shared: Promise<Gpu> | undefined;
/** One GPU context per test file (a browser test file runs in its own page). */
export function getGpu(): Promise<Gpu> {
  shared ??= createGpu();
  return shared;
}

export function buf(gpu: Gpu, data: ArrayLike<number>, label = 'test.in'): GPUBuffer {
  return uploadNew(gpu, label, Float32Array.from(data));
}
export function bufI32(gpu: Gpu, data: ArrayLike<number>, label = 'test.labels'): GPUBuffer {
  return uploadNew(gpu, label, Int32Array.from(data));
}
/** An output buffer pre-filled with NaN so a kernel that skips an element fails the comparison. */
export function out(gpu: Gpu, count: number, label = 'test.out'): GPUBuffer {
  const b = createStorage(gpu, label, count * 4);
  gpu.device.queue.writeBuffer(b, 0, new Float32Array(count).fill(NaN));
  return b;
}

export async function runAndRead(gpu: Gpu, dispatches: Dispatch | Dispatch[], target: GPUBuffer, count: number): Promise<Float32Array> {
  gpu.device.pushErrorScope('validation');
  run(gpu, Array.isArray(dispatches) ? dispatches : [dispatches]);
  const err = await gpu.device.popErrorScope();
  if (err) throw new Error(`validation error: ${err.message}`);
  return readF32(gpu, target, 0, count);
}

/** Seeded uniform values in [lo, hi) (mulberry32), so failures reproduce. */
export function rand(count: number, seed = 1, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    // Rounded to float32 so the reference sees exactly what the GPU sees.
    out[i] = Math.fround(lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296));
  }
  return out;
}

// The NaN-safe comparison every GPU test uses lives with the other test comparisons.
export { expectClose } from '../support/close';
