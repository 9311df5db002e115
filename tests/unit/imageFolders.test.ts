// The user's image folders: class from the path, the area-average resize reference (src/reference/resize.ts, the
// GPU kernel's twin) against the exact mean by 2-D overlap areas,
// and the held-out test split of the dataset built from them.
import { describe, expect, test } from 'vitest';
import { classOfPath } from '../../src/ui/lib/imageFolders';
import { resizeArea } from '../../src/reference/resize';
import { imagesAsDataset } from '../../src/train/fineTune';
import { Rng } from '../../src/util/rng';

/** Each output pixel: the exact mean of the source over its square, by 2-D overlap areas (no separability used). */
function reference(rgba: Uint8Array, w: number, h: number, size: number): Float64Array {
  const out = new Float64Array(3 * size * size);
  for (let oy = 0; oy < size; oy++)
    for (let ox = 0; ox < size; ox++) {
      const [x0, x1, y0, y1] = [(ox * w) / size, ((ox + 1) * w) / size, (oy * h) / size, ((oy + 1) * h) / size];
      let area = 0;
      const acc = [0, 0, 0];
      for (let sy = 0; sy < h; sy++)
        for (let sx = 0; sx < w; sx++) {
          const a = Math.max(0, Math.min(x1, sx + 1) - Math.max(x0, sx)) * Math.max(0, Math.min(y1, sy + 1) - Math.max(y0, sy));
          if (a === 0) continue;
          area += a;
          for (let c = 0; c < 3; c++) acc[c] += a * rgba[(sy * w + sx) * 4 + c];
        }
      for (let c = 0; c < 3; c++) out[c * size * size + oy * size + ox] = acc[c] / area;
    }
  return out;
}

describe('image folders', () => {
  test('the class is the sub-folder a file sits in', () => {
    expect(classOfPath('pets/cat/1.jpg')).toBe('cat');
    expect(classOfPath('dog/2.png')).toBe('dog');
    expect(classOfPath('loose.png')).toBeUndefined();
  });

  test.each([
    [32, 32],
    [64, 48],
    [45, 37],
    [20, 70],
    [7, 5],
  ])('area resize of a %dx%d image to 32x32 rounds the exact area mean (CHW planes)', (w, h) => {
    const rng = new Rng(w * 100 + h);
    const rgba = new Uint8Array(w * h * 4).map(() => rng.int(256));
    const got = resizeArea(rgba, w, h, 32);
    const want = reference(rgba, w, h, 32);
    expect(got).toHaveLength(3072);
    for (let i = 0; i < want.length; i++)
      if (Math.abs(got[i] - want[i]) > 0.5 + 1e-9) expect.fail(`value ${i}: got ${got[i]}, exact mean ${want[i]}`);
  });

  test('a 32x32 image is copied as is, its R, G, B planes in CIFAR order', () => {
    const rgba = new Uint8Array(32 * 32 * 4).map((_, i) => (i * 7) % 256);
    const got = resizeArea(rgba, 32, 32, 32);
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) expect(got[c * 1024 + p]).toBe(rgba[p * 4 + c]);
  });

  test('every fifth image of each class is held out for testing', () => {
    const labels = Uint8Array.from([0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1]);
    const pixels = new Uint8Array(labels.length * 3072).map((_, i) => Math.floor(i / 3072));
    const d = imagesAsDataset({ classNames: ['a', 'b'], pixels, labels });
    // Class 0 has 6 images (ids 0 1 4 6 7 8): its 1st and 6th are held out; class 1 has 5 (ids 2 3 5 9 10): its 1st.
    expect(d.test.count).toBe(3);
    expect([...d.test.labels]).toEqual([0, 1, 0]);
    expect(d.train.count).toBe(8);
    expect(d.test.images[0]).toBe(0);
    expect(d.test.images[3072]).toBe(2); // image 2 is the first of class 1
    expect(() => imagesAsDataset({ classNames: ['a'], pixels: new Uint8Array(3072), labels: new Uint8Array(1) })).toThrow(
      /class sub-folder/,
    );
  });
});
