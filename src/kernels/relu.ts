// ReLU forward and backward (shaders/relu.wgsl).
import code from '../../shaders/relu.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { elementwise } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'relu', code, bindings: ['read', 'read', 'rw', 'uniform'] };
const WG = 256;
/** Four elements per thread (vec4 entries) when the count allows. */
const per = (count: number) => (count % 4 === 0 ? 4 : 1);

/** y = max(x, 0) over `count` elements. */
export function reluForward(gpu: Gpu, label: string, count: number, x: BufferRef, y: BufferRef): Promise<Dispatch> {
  const k = per(count);
  return prepare(gpu, def, {
    entry: k === 4 ? 'forward4' : 'forward',
    label,
    buffers: [x, x, y],
    uniforms: packUniforms([count]),
    grid: grid1d(count / k, WG),
    constants: { WG },
    cost: elementwise(count, 1, 1, 1),
    loops: 0, // no loops in the shader
  });
}

/** dx = dy * (y > 0), with y the forward output. */
export function reluBackward(gpu: Gpu, label: string, count: number, dy: BufferRef, y: BufferRef, dx: BufferRef): Promise<Dispatch> {
  const k = per(count);
  return prepare(gpu, def, {
    entry: k === 4 ? 'backward4' : 'backward',
    label,
    buffers: [dy, y, dx],
    uniforms: packUniforms([count]),
    grid: grid1d(count / k, WG),
    constants: { WG },
    cost: elementwise(count, 2, 1, 1),
    loops: 0, // no loops in the shader
  });
}
