// Option-A (parameter-free) shortcut, forward and backward (shaders/shortcut.wgsl).
import code from '../../shaders/shortcut.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { shortcutOut, type ShortcutShape } from '../geometry';
import { cost } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'shortcut', code, bindings: ['read', 'rw', 'uniform'] };
const WG = 256;

function params(label: string, s: ShortcutShape) {
  if (s.cout < s.cin || s.stride < 1)
    throw new Error(`${label}: option-A shortcut needs cout >= cin and stride >= 1 (got ${JSON.stringify(s)})`);
  const { oh, ow, pad } = shortcutOut(s);
  return { oh, ow, uniforms: packUniforms([s.n, s.cin, s.h, s.w, s.cout, s.stride, oh, ow, pad]) };
}

/** y = x[:, :, ::stride, ::stride] with (cout - cin) >> 1 zero channels before and the rest after. */
export async function shortcutA(gpu: Gpu, label: string, s: ShortcutShape, x: BufferRef, y: BufferRef): Promise<Dispatch> {
  const { oh, ow, uniforms } = params(label, s);
  // Reads the strided samples of x, writes all of y (zeros in the added channels).
  return prepare(gpu, def, {
    entry: 'forward',
    label,
    buffers: [x, y],
    uniforms,
    grid: grid1d(s.n * s.cout * oh * ow, WG),
    constants: { WG },
    cost: cost(0, s.n * s.cin * oh * ow, s.n * s.cout * oh * ow),
    loops: 0, // no loops in the shader
  });
}

/** dx = dy's existing channels scattered back to the strided positions, zero elsewhere. */
export async function shortcutABackward(gpu: Gpu, label: string, s: ShortcutShape, dy: BufferRef, dx: BufferRef): Promise<Dispatch> {
  const { oh, ow, uniforms } = params(label, s);
  return prepare(gpu, def, {
    entry: 'backward',
    label,
    buffers: [dy, dx],
    uniforms,
    grid: grid1d(s.n * s.cin * s.h * s.w, WG),
    constants: { WG },
    cost: cost(0, s.n * s.cin * oh * ow, s.n * s.cin * s.h * s.w),
    loops: 0, // no loops in the shader
  });
}
