// Decoding the user's image folders in the browser: PNG files made here (lossless) decode to exactly their known
// pixels at native size, labelled by their sub-folder (non-images skipped), and the worker's GPU resize of what the
// page decoded equals the area-average reference.
import { expect, test } from 'vitest';
import { decodeFolder } from '../../src/ui/lib/imageFolders';
import { resizeArea } from '../../src/reference/resize';
import { resizeImages } from '../../src/runtime/resizeImages';
import { getGpu } from './harness';

async function png(w: number, h: number, seed: number): Promise<{ file: File; rgba: Uint8ClampedArray }> {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    img.data[i * 4] = (i * 13 + seed) % 256;
    img.data[i * 4 + 1] = (i * 7 + 3 * seed) % 256;
    img.data[i * 4 + 2] = (i * 29) % 256;
    img.data[i * 4 + 3] = 255; // opaque: premultiplied alpha would change the colours otherwise
  }
  ctx.putImageData(img, 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return { file: new File([blob], `img${seed}.png`, { type: 'image/png' }), rgba: img.data };
}

test('a folder of PNGs decodes to 32x32 CHW bytes equal to the area-average reference, labelled by sub-folder', async () => {
  const a = await png(64, 48, 1);
  const b = await png(45, 37, 2);
  const c = await png(32, 32, 3);
  const junk = new File(['not an image'], 'notes.txt');
  const paths = new Map<File, string>([
    [a.file, 'pets/dog/a.png'],
    [b.file, 'pets/cat/b.png'],
    [c.file, 'pets/dog/c.png'],
    [junk, 'pets/dog/notes.txt'],
  ]);
  const d = await decodeFolder([a.file, b.file, c.file, junk], (f) => paths.get(f)!);
  expect(d.classNames).toEqual(['cat', 'dog']);
  expect([...d.labels]).toEqual([1, 0, 1]);
  expect(d.skipped).toBe(1);
  expect(d.images.map((im) => [im.width, im.height])).toEqual([
    [64, 48],
    [45, 37],
    [32, 32],
  ]);
  expect(d.images.map((im) => im.rgba)).toEqual([a, b, c].map((x) => new Uint8Array(x.rgba)));
  const records = await resizeImages(await getGpu(), d.images);
  expect(records.subarray(0, 3072)).toEqual(resizeArea(a.rgba, 64, 48));
  expect(records.subarray(3072, 6144)).toEqual(resizeArea(b.rgba, 45, 37));
  expect(records.subarray(6144, 9216)).toEqual(resizeArea(c.rgba, 32, 32));
});
