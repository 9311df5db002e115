// Decoding the user's image folders in the browser: PNG files made here (lossless) decode and shrink to exactly
// the area-average of their known pixels, labelled by their sub-folder; non-images are skipped.
import { expect, test } from 'vitest';
import { decodeFolder, resizeArea } from '../../src/ui/lib/imageFolders';

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
  expect(d.pixels.subarray(0, 3072)).toEqual(resizeArea(a.rgba, 64, 48));
  expect(d.pixels.subarray(3072, 6144)).toEqual(resizeArea(b.rgba, 45, 37));
  expect(d.pixels.subarray(6144, 9216)).toEqual(resizeArea(c.rgba, 32, 32));
});
