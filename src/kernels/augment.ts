// Training-data augmentation (random crop of the padded image, horizontal flip) and per-channel
// normalisation of uint8 CIFAR records into a float batch (shaders/augment.wgsl).
import code from '../../shaders/augment.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import type { AugmentOptions } from '../geometry';
import { cost } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'augment', code, bindings: ['read', 'read', 'read', 'rw', 'rw', 'uniform'] };
const WG = 256;
const RECORD = 3072;

/**
 * outImages [batch, 3, 32, 32] f32 and outLabels [batch] i32 from images (uint8 records of 3072 bytes
 * packed into u32s), labels (i32 per image) and indices (u32 image id per sample). The draws use seed 0,
 * step 0 until setAugmentStep changes them.
 */
export async function augment(
  gpu: Gpu,
  label: string,
  o: AugmentOptions,
  images: BufferRef,
  labels: BufferRef,
  indices: BufferRef,
  outImages: BufferRef,
  outLabels: BufferRef,
): Promise<Dispatch> {
  if (!Number.isInteger(o.pad) || o.pad < 0 || o.pad > 32) throw new Error(`${label}: pad must be an integer in 0..32 (got ${o.pad})`);
  // (p/255 - mean)/std as p * scale + bias, computed in float64 so the shader rounds once per term.
  const scale = o.std.map((s) => ({ f32: 1 / (255 * s) }));
  const bias = o.mean.map((m, c) => ({ f32: -m / o.std[c] }));
  return prepare(gpu, def, {
    entry: 'augment',
    label,
    buffers: [images, labels, indices, outImages, outLabels],
    uniforms: packUniforms([0, 0, o.batch, o.pad, o.flip ? 1 : 0, ...scale, ...bias]),
    grid: grid1d(o.batch * RECORD, WG),
    constants: { WG },
    // One byte of a record per output value (a quarter of a u32), the label and the index per image;
    // normalisation is a multiply-add.
    cost: cost(2 * o.batch * RECORD, (o.batch * RECORD) / 4 + 2 * o.batch, o.batch * RECORD + o.batch),
    loops: 0, // no loops in the shader
  });
}

/** Sets the seed and step the draws hash (the first two uniform fields); takes effect at the next submit. */
export function setAugmentStep(gpu: Gpu, d: Dispatch, seed: number, step: number): void {
  if (!d.uniforms) throw new Error(`${d.label}: not an augment dispatch (no uniform buffer)`);
  gpu.device.queue.writeBuffer(d.uniforms, 0, new Uint32Array([seed >>> 0, step >>> 0]));
}
