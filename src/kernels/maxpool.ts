// Max pooling, forward and backward (shaders/maxpool.wgsl): the ImageNet stem's 3x3 stride-2 pool.
import code from '../../shaders/maxpool.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { maxPoolOut, type MaxPoolShape } from '../geometry';
import { cost } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'maxpool', code, bindings: ['read', 'read', 'rw', 'uniform'] };
const WG = 256;

function params(label: string, s: MaxPoolShape) {
  // PyTorch's own rule (pad at most half the window) is what makes every window hold an input element.
  if (!(s.k >= 1 && s.stride >= 1 && s.pad >= 0 && 2 * s.pad <= s.k))
    throw new Error(`${label}: max pooling needs k >= 1, stride >= 1 and 0 <= pad <= k/2 (got ${JSON.stringify(s)})`);
  const { oh, ow } = maxPoolOut(s);
  if (!(oh >= 1 && ow >= 1)) throw new Error(`${label}: a ${s.k}x${s.k} window leaves nothing of a ${s.h}x${s.w} map`);
  return { oh, ow, uniforms: packUniforms([s.n, s.c, s.h, s.w, oh, ow, s.k, s.stride, s.pad]) };
}

/** Windows covering one input element along an axis: ceil(k / stride). */
const cover = (s: MaxPoolShape) => Math.ceil(s.k / s.stride);

/** y[n, c, oy, ox] = the largest x in the window (first of equals in row-major order). */
export async function maxPool(gpu: Gpu, label: string, s: MaxPoolShape, x: BufferRef, y: BufferRef): Promise<Dispatch> {
  const { oh, ow, uniforms } = params(label, s);
  const outputs = s.n * s.c * oh * ow;
  return prepare(gpu, def, {
    entry: 'forward',
    label,
    buffers: [x, x, y], // the backward's dy binding is unused here
    uniforms,
    grid: grid1d(outputs, WG),
    constants: { WG },
    cost: cost(outputs * s.k * s.k, outputs * s.k * s.k, outputs),
    loops: s.k * (s.k + 1), // the window's rows, each with its columns
  });
}

/** dx = the sum of dy over the windows each element wins (zero elsewhere); x is the forward's input. */
export async function maxPoolBackward(
  gpu: Gpu,
  label: string,
  s: MaxPoolShape,
  dy: BufferRef,
  x: BufferRef,
  dx: BufferRef,
): Promise<Dispatch> {
  const { uniforms } = params(label, s);
  const inputs = s.n * s.c * s.h * s.w;
  const windows = cover(s) * cover(s);
  return prepare(gpu, def, {
    entry: 'backward',
    label,
    buffers: [x, dy, dx],
    uniforms,
    grid: grid1d(inputs, WG),
    constants: { WG },
    cost: cost(inputs * windows * s.k * s.k, inputs * windows * s.k * s.k, inputs),
    loops: cover(s) * (cover(s) + cover(s) * s.k * (s.k + 1)), // covering windows, each deciding its winner
  });
}
