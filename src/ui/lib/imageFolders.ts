// The user's own labelled images: a folder with one sub-folder per class, decoded in the page and shrunk to the
// 32x32 CHW bytes the worker's datasets hold (the same layout as a CIFAR record). The resize is an exact area
// average (every source pixel weighted by how much of it an output pixel covers), so it has a float reference.
import type { LabelledImages } from '../../train/protocol';

const IMAGE_EXT = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;

/** The class of a file from its path inside the picked folder: the sub-folder it sits in ("pets/cat/1.jpg" -> "cat"). */
export function classOfPath(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

/**
 * Area-average resize of RGBA pixels (w x h, row-major) to size x size, as CHW planes of R, G, B (alpha ignored).
 * Output pixel (x, y) covers source [x*w/size, (x+1)*w/size) x [y*h/size, (y+1)*h/size).
 */
export function resizeArea(rgba: ArrayLike<number>, w: number, h: number, size = 32): Uint8Array {
  const out = new Uint8Array(3 * size * size);
  // Per output column/row: the source indices it touches and their coverage weights (1-D, separable).
  const spans = (n: number) =>
    Array.from({ length: size }, (_, o) => {
      const a = (o * n) / size;
      const b = ((o + 1) * n) / size;
      const taps: [number, number][] = [];
      for (let i = Math.floor(a); i < Math.ceil(b); i++) taps.push([i, Math.min(b, i + 1) - Math.max(a, i)]);
      return taps;
    });
  const xs = spans(w);
  const ys = spans(h);
  for (let oy = 0; oy < size; oy++)
    for (let ox = 0; ox < size; ox++) {
      const acc = [0, 0, 0];
      let area = 0;
      for (const [sy, wy] of ys[oy])
        for (const [sx, wx] of xs[ox]) {
          const p = (sy * w + sx) * 4;
          const wgt = wy * wx;
          acc[0] += rgba[p] * wgt;
          acc[1] += rgba[p + 1] * wgt;
          acc[2] += rgba[p + 2] * wgt;
          area += wgt;
        }
      for (let c = 0; c < 3; c++) out[c * size * size + oy * size + ox] = Math.round(acc[c] / area);
    }
  return out;
}

/** Decodes every image file of a picked folder (one sub-folder per class; other files are skipped); `pathOf`: a file's path in it. */
export async function decodeFolder(
  files: readonly File[],
  pathOf = (f: File) => f.webkitRelativePath || f.name,
): Promise<LabelledImages & { skipped: number }> {
  const items = files
    .map((f) => ({ f, cls: classOfPath(pathOf(f)) }))
    .filter((x): x is { f: File; cls: string } => x.cls !== undefined && IMAGE_EXT.test(x.f.name));
  const classNames = [...new Set(items.map((x) => x.cls))].sort();
  const pixels = new Uint8Array(items.length * 3072);
  const labels = new Uint8Array(items.length);
  let n = 0;
  let skipped = files.length - items.length;
  for (const { f, cls } of items) {
    try {
      const bmp = await createImageBitmap(f);
      const canvas = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bmp, 0, 0);
      const data = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      pixels.set(resizeArea(data, bmp.width, bmp.height), n * 3072);
      labels[n++] = classNames.indexOf(cls);
      bmp.close();
    } catch {
      skipped++; // not a decodable image
    }
  }
  return { classNames, pixels: pixels.slice(0, n * 3072), labels: labels.slice(0, n), skipped };
}
