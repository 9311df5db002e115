// out = base + a * d1 + b * d2 (shaders/lincomb.wgsl): the loss landscape's weights per grid point.
import code from '../../shaders/lincomb.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';
import { elementwise } from './cost';

const def: KernelDef = { name: 'lincomb', code, bindings: ['read', 'read', 'read', 'rw', 'uniform'] };
const WG = 256;

export function lincomb(
  gpu: Gpu,
  label: string,
  count: number,
  base: BufferRef,
  d1: BufferRef,
  d2: BufferRef,
  out: BufferRef,
): Promise<Dispatch> {
  return prepare(gpu, def, {
    entry: 'lincomb',
    label,
    buffers: [base, d1, d2, out],
    uniforms: packUniforms([count, { f32: 0 }, { f32: 0 }]),
    grid: grid1d(count, WG),
    constants: { WG },
    cost: elementwise(count, 3, 1, 4),
    loops: 0, // no loops in the shader
  });
}

/** The coefficients (a, b) for the next submit. */
export function setLincomb(gpu: Gpu, d: Dispatch, count: number, a: number, b: number): void {
  const u = packUniforms([count, { f32: a }, { f32: b }]);
  gpu.device.queue.writeBuffer(d.uniforms!, 0, u.buffer, u.byteOffset, u.byteLength);
}
