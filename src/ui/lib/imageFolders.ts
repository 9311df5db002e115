// The user's own labelled images: a folder with one sub-folder per class, decoded in the page to RGBA pixels at
// native size. The worker shrinks them to 32x32 CHW records on its GPU (src/runtime/resizeImages.ts): the page
// cannot reach the GPU, and the area average is exact there (src/reference/resize.ts is its twin).
import type { LabelledImages, NativeImage } from '../../train/protocol';

const IMAGE_EXT = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;

/** The class of a file from its path inside the picked folder: the sub-folder it sits in ("pets/cat/1.jpg" -> "cat"). */
export function classOfPath(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

/**
 * Images over this many pixels are scaled down by the browser while decoding (to fit, keeping the aspect): the
 * worker's resize kernel sums a whole image's bytes in u32, up to 16,843,009 pixels (src/kernels/resize.ts).
 */
export const MAX_PIXELS = 4096 * 4096;

/** Decodes every image file of a picked folder (one sub-folder per class; other files are skipped); `pathOf`: a file's path in it. */
export async function decodeFolder(
  files: readonly File[],
  pathOf = (f: File) => f.webkitRelativePath || f.name,
): Promise<LabelledImages & { skipped: number }> {
  const items = files
    .map((f) => ({ f, cls: classOfPath(pathOf(f)) }))
    .filter((x): x is { f: File; cls: string } => x.cls !== undefined && IMAGE_EXT.test(x.f.name));
  const classNames = [...new Set(items.map((x) => x.cls))].sort();
  const images: NativeImage[] = [];
  const labels: number[] = [];
  let skipped = files.length - items.length;
  for (const { f, cls } of items) {
    try {
      let bmp = await createImageBitmap(f);
      const n = bmp.width * bmp.height;
      if (n > MAX_PIXELS) {
        const k = Math.sqrt(MAX_PIXELS / n);
        const [width, height] = [Math.max(1, Math.floor(bmp.width * k)), Math.max(1, Math.floor(bmp.height * k))];
        bmp.close();
        bmp = await createImageBitmap(f, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
      }
      const canvas = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bmp, 0, 0);
      const data = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      images.push({ width: bmp.width, height: bmp.height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
      labels.push(classNames.indexOf(cls));
      bmp.close();
    } catch {
      skipped++; // not a decodable image
    }
  }
  return { classNames, images, labels: Uint8Array.from(labels), skipped };
}
