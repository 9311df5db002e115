// Global average pooling and its backward, and the per-channel sum used for bias gradients
// (shaders/pool.wgsl). Tensors are viewed as [N, C, S], S = H*W.
import code from '../../shaders/pool.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { flatWg, type Tuning } from '../gpu/tuning';
import type { ChannelShape } from '../geometry';
import { channelParamFloats, cost } from './cost';
import { MAX_LOOP_ITERATIONS, strided } from './loops';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'pool', code, bindings: ['read', 'rw', 'uniform'] };
const WG = 256;

/** y[n, c] = mean over s of x[n, c, s]. */
export function avgPool(gpu: Gpu, label: string, n: number, c: number, s: number, x: BufferRef, y: BufferRef): Promise<Dispatch> {
  return prepare(gpu, def, {
    entry: 'avg_pool',
    label,
    buffers: [x, y],
    uniforms: packUniforms([n, c, s, 0]), // Params.zero: pool.wgsl
    grid: grid1d(n * c, WG),
    constants: { WG },
    cost: cost(n * c * s, n * c * s, n * c),
    loops: s, // the (n, c) row
  });
}

/** dx[n, c, s] = dy[n, c] / s. */
export function avgPoolBackward(gpu: Gpu, label: string, n: number, c: number, s: number, dy: BufferRef, dx: BufferRef): Promise<Dispatch> {
  return prepare(gpu, def, {
    entry: 'avg_pool_backward',
    label,
    buffers: [dy, dx],
    uniforms: packUniforms([n, c, s, 0]), // Params.zero: pool.wgsl
    grid: grid1d(n * c * s, WG),
    constants: { WG },
    // Each workgroup reads dy[n, c] of the (n, c) rows its elements fall in.
    cost: cost(n * c * s, channelParamFloats(n * c * s, WG, s, n * c, 1), n * c * s),
    loops: 0, // one element an invocation
  });
}

/**
 * out[c] = sum over n and s of x[n, c, s], one workgroup per channel ('serial', CPU adapters: one
 * invocation per channel, where its loop stays within MAX_LOOP_ITERATIONS): conv bias gradients, and the fc's (dY [N, K] viewed as {n: N, c: K, s: 1}).
 */
export function channelSum(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  x: BufferRef,
  out: BufferRef,
  opts: { variant?: Tuning['reduce'] } = {},
): Promise<Dispatch> {
  const uniforms = packUniforms([sh.n, sh.c, sh.s, 0]); // Params.zero keeps the serial Kahan sum compensated (pool.wgsl)
  const count = sh.n * sh.c * sh.s;
  // One invocation per channel loops over its n*s values (and the n rows): past MAX_LOOP_ITERATIONS, the workgroup
  // variant shares them out (loops.ts).
  const serialLoops = sh.n * (sh.s + 1);
  if ((opts.variant ?? gpu.tuning.reduce) === 'serial' && serialLoops <= MAX_LOOP_ITERATIONS) {
    const wg = flatWg(gpu.tuning, sh.c, 64);
    return prepare(gpu, def, {
      entry: 'channel_sum_serial',
      label,
      buffers: [x, out],
      uniforms,
      grid: grid1d(sh.c, wg),
      constants: { WG: wg },
      cost: cost(4 * count, count, sh.c), // Kahan: 4 flops a term
      loops: serialLoops,
    });
  }
  return prepare(gpu, def, {
    entry: 'channel_sum',
    label,
    buffers: [x, out],
    uniforms,
    grid: [sh.c, 1, 1],
    constants: { WG },
    cost: cost(count, count, sh.c),
    loops: strided(0, sh.n * sh.s, WG) + Math.log2(WG), // the strided sweep, then the tree
  });
}
