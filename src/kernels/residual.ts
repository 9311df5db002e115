// Residual add, optionally fused with ReLU (shaders/residual.wgsl).
import code from '../../shaders/residual.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { elementwise } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'residual', code, bindings: ['read', 'read', 'rw', 'uniform'] };
const WG = 256;

/**
 * out = a + b (or max(a + b, 0) with relu) over `count` elements. a and b may be the same buffer;
 * out may not share a buffer with either: WebGPU forbids one buffer bound read-only and read-write
 * in the same dispatch, even at disjoint ranges.
 */
export async function add(
  gpu: Gpu,
  label: string,
  count: number,
  a: BufferRef,
  b: BufferRef,
  out: BufferRef,
  opts: { relu?: boolean } = {},
): Promise<Dispatch> {
  if (out.buffer === a.buffer || out.buffer === b.buffer) throw new Error(`${label}: add's output may not share a buffer with its inputs`);
  // Four elements per thread (add4) when the count allows.
  const per = count % 4 === 0 ? 4 : 1;
  return prepare(gpu, def, {
    entry: per === 4 ? 'add4' : 'add',
    label,
    buffers: [a, b, out],
    uniforms: packUniforms([count]),
    grid: grid1d(count / per, WG),
    constants: { WG, RELU: opts.relu ? 1 : 0 },
    cost: elementwise(count, 2, 1, opts.relu ? 2 : 1),
    loops: 0, // no loops in the shader
  });
}
