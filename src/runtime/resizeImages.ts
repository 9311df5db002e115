// The user's own images, decoded at native size in the page, become 32x32 CHW records (the CIFAR layout) on the
// worker's GPU: packed back to back and resized by the area-average kernel (src/kernels/resize.ts) in as many
// dispatches as the buffer and grid limits ask for, then read back for the dataset upload.
import type { Gpu } from '../gpu/gpu';
import { createStorage, readBuffer, uploadNew } from '../gpu/buffers';
import { run } from '../kernels/kernel';
import { MAX_RESIZE_PIXELS, RECORD_WORDS, resize, resizeTable } from '../kernels/resize';

export { MAX_RESIZE_PIXELS };

/** One image at native size: RGBA bytes, row-major (as canvas getImageData gives them). */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

const RECORD_BYTES = RECORD_WORDS * 4;

/** 32x32x3 bytes per image (R, G, B planes), in the order given. Sizes are checked by resizeTable (throws). */
export async function resizeImages(gpu: Gpu, images: readonly RgbaImage[]): Promise<Uint8Array> {
  images.forEach((im, i) => {
    if (im.rgba.length !== im.width * im.height * 4)
      throw new Error(`image ${i}: ${im.rgba.length} bytes for ${im.width}x${im.height} RGBA`);
  });
  resizeTable(images);
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const maxCount = Math.min(gpu.limits.maxComputeWorkgroupsPerDimension, Math.floor(limit / RECORD_BYTES));
  const out = new Uint8Array(images.length * RECORD_BYTES);
  for (let start = 0; start < images.length;) {
    // Greedy chunk: as many images as fit the pixel buffer and the grid (one image alone fits the 128 MiB default: <= 64 MiB).
    let end = start;
    let bytes = 0;
    while (end < images.length && end - start < maxCount && bytes + images[end].rgba.length <= limit) bytes += images[end++].rgba.length;
    if (end === start) throw new Error(`image ${start}: ${images[start].rgba.length} bytes, over this GPU's buffer limit`);
    const chunk = images.slice(start, end);
    const { table } = resizeTable(chunk);
    const packed = new Uint8Array(bytes);
    let at = 0;
    for (const im of chunk) {
      packed.set(im.rgba, at);
      at += im.rgba.length;
    }
    const px = uploadNew(gpu, 'resizeImages.pixels', packed);
    const tb = uploadNew(gpu, 'resizeImages.table', table);
    const records = createStorage(gpu, 'resizeImages.out', chunk.length * RECORD_BYTES);
    try {
      run(gpu, [await resize(gpu, 'resizeImages', chunk, { buffer: px }, { buffer: tb }, { buffer: records })], 'resizeImages');
      out.set(new Uint8Array(await readBuffer(gpu, records, 0, chunk.length * RECORD_BYTES)), start * RECORD_BYTES);
    } finally {
      px.destroy();
      tb.destroy();
      records.destroy();
    }
    start = end;
  }
  return out;
}
