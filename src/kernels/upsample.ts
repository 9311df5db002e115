// Bilinear enlargement of square float planes (shaders/upsample.wgsl): a run's 32x32 batch to its input size.
import code from '../../shaders/upsample.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { elementwise } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'upsample', code, bindings: ['read', 'rw', 'uniform'] };
const WG = 256;

/** dst [planes, sizeOut, sizeOut] from src [planes, sizeIn, sizeIn], as F.interpolate(bilinear, align_corners=False). */
export function upsample(
  gpu: Gpu,
  label: string,
  planes: number,
  sizeIn: number,
  sizeOut: number,
  src: BufferRef,
  dst: BufferRef,
): Promise<Dispatch> {
  for (const [what, v] of [
    ['planes', planes],
    ['sizeIn', sizeIn],
    ['sizeOut', sizeOut],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`${label}: ${what} must be a positive integer, not ${v}`);
  const count = planes * sizeOut * sizeOut;
  return prepare(gpu, def, {
    entry: 'upsample',
    label,
    buffers: [src, dst],
    uniforms: packUniforms([planes, sizeIn, sizeOut]),
    grid: grid1d(count, WG),
    constants: { WG },
    cost: elementwise(count, 4, 1, 8), // four reads (mostly cached), one write, three lerps
    loops: 0, // no loops in the shader
  });
}
