// Float64 reference for the training-data augmentation kernel (shaders/augment.wgsl): a random crop
// of the zero-padded uint8 image and a horizontal flip (torchvision RandomCrop(32, padding) then
// RandomHorizontalFlip), then (pixel / 255 - mean) / std per channel. The random draws come from a
// stateless hash of (seed, step, sample), written identically here and in the shader.
import type { AugmentOptions } from '../geometry';

export const IMAGE = 32;
export const RECORD = 3 * IMAGE * IMAGE;

/** lowbias32 (Chris Wellons): a full-avalanche 32-bit mix; u32 arithmetic as in WGSL. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sample b's draws at a step: crop offsets ox, oy in 0..2*pad (bits 0..15 and 16..30) and the flip (bit 31). */
export function augmentDraw(seed: number, step: number, b: number, pad: number, flip: boolean) {
  const h = mix32(mix32(mix32((seed + 0x9e3779b9) >>> 0) ^ step) ^ b);
  const span = 2 * pad + 1;
  return { ox: (h & 0xffff) % span, oy: ((h >>> 16) & 0x7fff) % span, flip: flip && h >>> 31 === 1 };
}

/** images: uint8 records of 3072 bytes (R, G, B planes, row-major 32x32); indices: image id per sample. */
export function augmentReference(
  o: AugmentOptions,
  images: Uint8Array,
  labels: ArrayLike<number>,
  indices: ArrayLike<number>,
  seed: number,
  step: number,
) {
  const out = new Float64Array(o.batch * RECORD);
  const outLabels = new Int32Array(o.batch);
  for (let b = 0; b < o.batch; b++) {
    const img = indices[b];
    const { ox, oy, flip } = augmentDraw(seed, step, b, o.pad, o.flip);
    outLabels[b] = labels[img];
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < IMAGE; y++)
        for (let x = 0; x < IMAGE; x++) {
          // Output (y, x) is crop pixel (y, flipped x), i.e. padded-image pixel (y + oy, x' + ox).
          const sx = (flip ? IMAGE - 1 - x : x) + ox - o.pad;
          const sy = y + oy - o.pad;
          const inside = sx >= 0 && sx < IMAGE && sy >= 0 && sy < IMAGE;
          const pixel = inside ? images[img * RECORD + (c * IMAGE + sy) * IMAGE + sx] : 0;
          out[((b * 3 + c) * IMAGE + y) * IMAGE + x] = (pixel / 255 - o.mean[c]) / o.std[c];
        }
  }
  return { images: out, labels: outLabels };
}
