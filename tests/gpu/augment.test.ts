import { describe, expect, test } from 'vitest';
import { augmentDraw, augmentReference, RECORD } from '../../src/reference/augment';
import type { AugmentOptions } from '../../src/geometry';
import { augment, setAugmentStep } from '../../src/kernels/augment';
import { readBuffer, uploadNew } from '../../src/gpu/buffers';
import type { Gpu } from '../../src/gpu/gpu';
import { bufI32, expectClose, getGpu, out, runAndRead } from './harness';

const mean: [number, number, number] = [0.4914, 0.4822, 0.4465];
const std: [number, number, number] = [0.247, 0.2435, 0.2616];
const IMAGES = 7;

/** Seeded random bytes; pixel 0 and 255 included so both ends of the range are exercised. */
function randomImages(count: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(count * RECORD);
  let s = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bytes[i] = s >>> 24;
  }
  bytes[0] = 0;
  bytes[1] = 255;
  return bytes;
}

/** Sample b of an augmented batch, the torchvision way: build the padded image, slice the crop, reverse rows. */
function torchvisionLike(img: Uint8Array, pad: number, ox: number, oy: number, flip: boolean, c: number): number[] {
  const P = 32 + 2 * pad;
  const padded = new Uint8Array(P * P);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) padded[(y + pad) * P + x + pad] = img[c * 1024 + y * 32 + x];
  const outPlane: number[] = [];
  for (let y = 0; y < 32; y++) {
    const row = Array.from(padded.subarray((y + oy) * P + ox, (y + oy) * P + ox + 32));
    if (flip) row.reverse();
    outPlane.push(...row.map((v) => (v / 255 - mean[c]) / std[c]));
  }
  return outPlane;
}

async function runAugment(
  gpu: Gpu,
  o: AugmentOptions,
  images: Uint8Array,
  labels: Int32Array,
  indices: Uint32Array,
  seed: number,
  step: number,
) {
  const img = { buffer: uploadNew(gpu, 'test.images', images) };
  const lab = { buffer: bufI32(gpu, labels) };
  const idx = { buffer: uploadNew(gpu, 'test.indices', indices) };
  const outImages = out(gpu, o.batch * RECORD, 'test.outImages');
  const outLabels = out(gpu, o.batch, 'test.outLabels');
  const d = await augment(gpu, 'augment', o, img, lab, idx, { buffer: outImages }, { buffer: outLabels });
  setAugmentStep(gpu, d, seed, step);
  const got = await runAndRead(gpu, d, outImages, o.batch * RECORD);
  const gotLabels = new Int32Array(await readBuffer(gpu, outLabels, 0, o.batch * 4));
  return { images: got, labels: gotLabels };
}

describe('augment', () => {
  const images = randomImages(IMAGES, 51);
  const labels = Int32Array.from({ length: IMAGES }, (_, i) => (i * 3) % 10);

  test('the reference crops and flips as torchvision does', () => {
    const o: AugmentOptions = { batch: 24, mean, std, pad: 4, flip: true };
    const indices = Uint32Array.from({ length: o.batch }, (_, b) => (b * 5) % IMAGES);
    const r = augmentReference(o, images, labels, indices, 9, 3);
    for (let b = 0; b < o.batch; b++) {
      const { ox, oy, flip } = augmentDraw(9, 3, b, o.pad, o.flip);
      const img = images.subarray(indices[b] * RECORD, (indices[b] + 1) * RECORD);
      for (let c = 0; c < 3; c++) {
        const got = r.images.subarray((b * 3 + c) * 1024, (b * 3 + c + 1) * 1024);
        expectClose(got, torchvisionLike(img, o.pad, ox, oy, flip, c), { atol: 1e-12, rtol: 0 });
      }
    }
  });

  test('draws are spread over flips and offsets, and change with step and seed', () => {
    const draws = Array.from({ length: 256 }, (_, b) => augmentDraw(1, 0, b, 4, true));
    const flips = draws.filter((d) => d.flip).length;
    // Binomial(256, 1/2) has sd 8: 128 +- 48 is six sd.
    expect(flips).toBeGreaterThan(80);
    expect(flips).toBeLessThan(176);
    for (const key of ['ox', 'oy'] as const) {
      const seen = new Set(draws.map((d) => d[key]));
      expect(seen.size).toBe(9);
      expect(Math.min(...seen)).toBe(0);
      expect(Math.max(...seen)).toBe(8);
    }
    expect(draws.filter((d) => d.ox === d.oy).length).toBeLessThan(64);
    const key = (d: { ox: number; oy: number; flip: boolean }) => `${d.ox},${d.oy},${d.flip}`;
    const other = (seed: number, step: number) => Array.from({ length: 256 }, (_, b) => augmentDraw(seed, step, b, 4, true));
    for (const alt of [other(1, 1), other(2, 0)]) expect(alt.filter((d, b) => key(d) === key(draws[b])).length).toBeLessThan(32);
    // Options off: no crop, no flip.
    expect(new Set(Array.from({ length: 64 }, (_, b) => key(augmentDraw(1, 0, b, 0, false))))).toEqual(new Set(['0,0,false']));
  });

  // 256 samples so every offset and both flips reach the GPU. The shader computes p * scale + bias
  // with f32 scale and bias: about three roundings of values below 3, under 1e-6 in total.
  test('GPU matches the reference, 256 samples, pad 4 with flips', async () => {
    const gpu = await getGpu();
    const o: AugmentOptions = { batch: 256, mean, std, pad: 4, flip: true };
    const indices = Uint32Array.from({ length: o.batch }, (_, b) => (b * 3 + 1) % IMAGES);
    const got = await runAugment(gpu, o, images, labels, indices, 0xdeadbeef, 12345);
    const want = augmentReference(o, images, labels, indices, 0xdeadbeef, 12345);
    expectClose(got.images, want.images, { atol: 1e-6, rtol: 0 });
    expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
  });

  test('pad 0 without flip is plain normalisation', async () => {
    const gpu = await getGpu();
    const o: AugmentOptions = { batch: 5, mean, std, pad: 0, flip: false };
    const indices = Uint32Array.from({ length: o.batch }, (_, b) => b);
    const got = await runAugment(gpu, o, images, labels, indices, 77, 5);
    const want = Float64Array.from(images.subarray(0, o.batch * RECORD), (v, i) => {
      const c = Math.floor(i / 1024) % 3;
      return (v / 255 - mean[c]) / std[c];
    });
    expectClose(got.images, want, { atol: 1e-6, rtol: 0 });
    expect(Array.from(got.labels)).toEqual(Array.from(labels.subarray(0, o.batch)));
  });

  test('setAugmentStep changes the draws of one prepared dispatch between submits', async () => {
    const gpu = await getGpu();
    const o: AugmentOptions = { batch: 3, mean, std, pad: 4, flip: true };
    const indices = Uint32Array.from([6, 0, 6]);
    const outImages = out(gpu, o.batch * RECORD, 'test.outImages');
    const d = await augment(
      gpu,
      'augment',
      o,
      { buffer: uploadNew(gpu, 'test.images', images) },
      { buffer: bufI32(gpu, labels) },
      { buffer: uploadNew(gpu, 'test.indices', indices) },
      { buffer: outImages },
      { buffer: out(gpu, o.batch, 'test.outLabels') },
    );
    // 4e9: steps and seeds are full u32s.
    for (const [seed, step] of [
      [3, 0],
      [3, 1],
      [4_000_000_000, 4_000_000_000],
    ]) {
      setAugmentStep(gpu, d, seed, step);
      const got = await runAndRead(gpu, d, outImages, o.batch * RECORD);
      expectClose(got, augmentReference(o, images, labels, indices, seed, step).images, { atol: 1e-6, rtol: 0 });
    }
  });
});
