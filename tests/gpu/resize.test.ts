// The area-average resize kernel against its reference, byte for byte (both are exact: integer weights, round half
// up): images packed back to back in one dispatch, on sizes that upscale, downscale, are non-square, tiny or odd.
import { expect, test } from 'vitest';
import { readBuffer, uploadNew, createStorage } from '../../src/gpu/buffers';
import { RECORD_WORDS, resize, resizeTable } from '../../src/kernels/resize';
import { run } from '../../src/kernels/kernel';
import { resizeArea } from '../../src/reference/resize';
import { getGpu } from './harness';

/** Seeded RGBA bytes (mulberry32). */
function rgba(w: number, h: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: w * h * 4 }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 255;
  });
}

async function gpuResize(images: { width: number; height: number; data: Uint8Array }[]): Promise<Uint8Array> {
  const gpu = await getGpu();
  const { table, pixels } = resizeTable(images);
  const packed = new Uint8Array(pixels * 4);
  let at = 0;
  for (const im of images) {
    packed.set(im.data, at);
    at += im.data.length;
  }
  const px = uploadNew(gpu, 'test.pixels', packed);
  const tb = uploadNew(gpu, 'test.table', table);
  const out = createStorage(gpu, 'test.out', images.length * RECORD_WORDS * 4);
  // Filled with 0xAB so a word the kernel skips fails the comparison.
  gpu.device.queue.writeBuffer(out, 0, new Uint8Array(images.length * RECORD_WORDS * 4).fill(0xab));
  gpu.device.pushErrorScope('validation');
  run(gpu, [await resize(gpu, 'test.resize', images, { buffer: px }, { buffer: tb }, { buffer: out })]);
  const err = await gpu.device.popErrorScope();
  if (err) throw new Error(`validation error: ${err.message}`);
  return new Uint8Array(await readBuffer(gpu, out));
}

const SIZES: [number, number][] = [
  [1, 1], // one pixel stretched over the whole record
  [7, 5], // upscale, odd, non-square
  [32, 32], // identity
  [33, 31], // one more and one less than the output: two taps per axis almost everywhere
  [100, 60], // downscale, non-square, fractional spans
  [64, 17], // downscale in x, upscale in y
  [31, 200], // upscale in x, downscale in y
];

test('resize to 32x32 CHW bytes equals the reference for every size, packed in one dispatch', async () => {
  const images = SIZES.map(([width, height], i) => ({ width, height, data: rgba(width, height, i + 1) }));
  const got = await gpuResize(images);
  images.forEach((im, i) => {
    expect(got.subarray(i * 3072, (i + 1) * 3072), `${im.width}x${im.height}`).toEqual(resizeArea(im.data, im.width, im.height));
  });
});

test('exact halves round up (64x1: averages of pixel pairs)', async () => {
  // 64x1: every output averages two neighbours; odd sums sit exactly on .5.
  const pair = new Uint8Array(64 * 4);
  for (let x = 0; x < 64; x++) pair.set([x * 3, 255 - x, x % 2, 255], x * 4);
  const got = await gpuResize([{ width: 64, height: 1, data: pair }]);
  const want = resizeArea(pair, 64, 1);
  expect(got).toEqual(want);
  // The reference's own rounding: (0 + 3) / 2 = 1.5 -> 2.
  expect(want[0]).toBe(2);
});

test('an image over the u32 sum limit is refused', () => {
  expect(() => resizeTable([{ width: 5000, height: 4000 }])).toThrow(/pixels/);
});
