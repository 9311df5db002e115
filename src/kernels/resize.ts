// Area-average resize of RGBA8 images of any size to 32x32 CHW bytes (shaders/resize.wgsl): the user's own images,
// decoded at native size in the page, become CIFAR-layout records on the worker's GPU.
import code from '../../shaders/resize.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { cost } from './cost';
import { packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'resize', code, bindings: ['read', 'read', 'rw', 'uniform'] };
const WG = 64;
/** u32 words of output per image (32 x 32 x 3 bytes). */
export const RECORD_WORDS = 768;
/** The kernel sums up to 255 * width * height in a u32. */
export const MAX_RESIZE_PIXELS = Math.floor(0xffffffff / 255);
const SIZE = 32;

export interface ImageSize {
  width: number;
  height: number;
}

/**
 * The per-image table the kernel reads (first pixel, width, height, 0 per image, u32) for images packed back to
 * back as RGBA8 words in that order, and the packed pixel count.
 */
export function resizeTable(images: readonly ImageSize[]): { table: Uint32Array; pixels: number } {
  const table = new Uint32Array(Math.max(1, images.length) * 4);
  let at = 0;
  images.forEach(({ width: w, height: h }, i) => {
    if (!(Number.isInteger(w) && Number.isInteger(h) && w >= 1 && h >= 1 && w * h <= MAX_RESIZE_PIXELS))
      throw new Error(`resize: image ${i} is ${w}x${h} (1 to ${MAX_RESIZE_PIXELS} pixels)`);
    table.set([at, w, h, 0], i * 4);
    at += w * h;
  });
  return { table, pixels: at };
}

/** Source rows (or columns) that the output rows of one axis touch, summed: its taps per output, over all outputs. */
function taps(n: number, outputs: number[]): number {
  let t = 0;
  for (const o of outputs) t += Math.ceil(((o + 1) * n) / SIZE) - Math.floor((o * n) / SIZE);
  return t;
}
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/**
 * Resizes `images` (packed in `pixels` as resizeTable lays them out; `table` holds resizeTable's table) into `out`
 * (RECORD_WORDS u32 per image: R, G, B planes of 32 x 32 bytes).
 */
export function resize(
  gpu: Gpu,
  label: string,
  images: readonly ImageSize[],
  pixels: BufferRef,
  table: BufferRef,
  out: BufferRef,
): Promise<Dispatch> {
  const count = images.length;
  if (count < 1 || count > gpu.limits.maxComputeWorkgroupsPerDimension) throw new Error(`${label}: ${count} images in one dispatch`);
  resizeTable(images); // validates the sizes
  // A workgroup is one channel of 8 output rows of one image: it reads the source rows they cover, every column,
  // once (the 3 channels: 3 sweeps). Each tap is a multiply-add for the row and each row one more.
  let flops = 0;
  let read = 0;
  for (const { width: w, height: h } of images) {
    const tx = taps(w, range(0, SIZE));
    const ty = taps(h, range(0, SIZE));
    flops += 3 * (2 * tx * ty + 2 * ty * SIZE);
    for (let band = 0; band < SIZE / 8; band++)
      read += 3 * (Math.ceil(((band + 1) * 8 * h) / SIZE) - Math.floor((band * 8 * h) / SIZE)) * w;
    read += (RECORD_WORDS / WG) * 4; // the table row, once per workgroup
  }
  // An invocation makes 4 outputs; each loops over the source rows its output row covers (at most ceil(h/32) + 1)
  // and, per row, over the source columns (at most ceil(w/32) + 1). A photo of about 24 megapixels passes
  // MAX_LOOP_ITERATIONS (loops.ts), and prepare() refuses it.
  const loops = Math.max(...images.map(({ width: w, height: h }) => 4 * (1 + (Math.ceil(h / SIZE) + 1) * (1 + Math.ceil(w / SIZE) + 1))));
  return prepare(gpu, def, {
    entry: 'resize',
    label,
    buffers: [pixels, table, out],
    uniforms: packUniforms([count]),
    grid: [RECORD_WORDS / WG, count, 1],
    constants: { WG },
    cost: cost(flops, read, count * RECORD_WORDS),
    loops,
  });
}
