// BatchNorm2d with PyTorch's conventions (shaders/batchnorm_reduce.wgsl: per-channel reductions, one
// workgroup or invocation per channel; batchnormSplit.ts: the same split over workgroups, for GPUs;
// shaders/batchnorm.wgsl: elementwise passes). Activations are NCHW viewed as [N, C, S], S = H*W.
// Two shader files, because one binding set cannot serve both: the reductions write two per-channel
// outputs, the backward apply reads seven inputs, and a writable slot an entry ignores would still need
// a buffer of its own (WebGPU rejects writable bindings that alias another binding of the dispatch).
import code from '../../shaders/batchnorm.wgsl?raw';
import reduceCode from '../../shaders/batchnorm_reduce.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { flatWg, type Tuning } from '../gpu/tuning';
import type { ChannelShape } from '../geometry';
import { channelParamFloats, cost } from './cost';
import { MAX_LOOP_ITERATIONS, strided } from './loops';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';
import { bnBackwardReduceSplit, bnSplitBytes, bnStatsSplit } from './batchnormSplit';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

const elementwise: KernelDef = {
  name: 'batchnorm',
  code,
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read', 'rw', 'uniform'],
};
const reduce: KernelDef = { name: 'batchnorm_reduce', code: reduceCode, bindings: ['read', 'read', 'read', 'read', 'rw', 'rw', 'uniform'] };
const WG = 256;

/**
 * 'workgroup': one workgroup per channel, tree in workgroup memory; 'serial': one invocation per channel;
 * 'split': each channel over several workgroups, partial results in scratch (bnPartialBytes).
 */
export type ReduceVariant = Tuning['bnReduce'];

/** Bytes of scratch the reductions need for partial results: only the 'split' variant has any. */
export const bnPartialBytes = (sh: ChannelShape, variant: ReduceVariant) => (variant === 'split' ? bnSplitBytes(sh) : 0);
/** The tuning's reduction, or its scratch-free sibling where it needs planned partials ('split'): for one-off probes. */
export const scratchFreeVariant = (t: Tuning): ReduceVariant => (t.bnReduce === 'split' ? 'workgroup' : t.bnReduce);

/**
 * Entry, grid, workgroup size and loop count of a per-channel reduction making `sweeps` passes over each channel
 * (stats 2, backward 1), in the 'workgroup' or 'serial' variant. 'serial' loops over all n*s values of its channel
 * in one invocation: past MAX_LOOP_ITERATIONS (loops.ts) it would be cut short on some drivers, so such a
 * channel takes the 'workgroup' variant instead, whose threads share the sweep.
 */
function reduction(gpu: Gpu, entry: string, sh: ChannelShape, variant: 'workgroup' | 'serial', sweeps: number) {
  const s4 = sh.s % 4 === 0;
  // Per sweep: the loop over n, and per image the loop over s (or s/4 vec4s).
  const serialLoops = sweeps * sh.n * (1 + (s4 ? sh.s / 4 : sh.s));
  if (variant === 'serial' && serialLoops <= MAX_LOOP_ITERATIONS) {
    const wg = flatWg(gpu.tuning, sh.c, 64);
    return { entry: `${entry}_serial${s4 ? '4' : ''}`, grid: grid1d(sh.c, wg), WG: wg, serial: true, loops: serialLoops };
  }
  // Per sweep: the strided loop over n*s, and the tree over the workgroup (reduce2, once per sweep).
  const loops = sweeps * (strided(0, sh.n * sh.s, WG) + Math.log2(WG));
  return { entry, grid: [sh.c, 1, 1] as [number, number, number], WG, serial: false, loops };
}

function check(label: string, sh: ChannelShape): void {
  if (![sh.n, sh.c, sh.s].every((v) => Number.isInteger(v) && v >= 1))
    throw new Error(`${label}: bad BatchNorm shape ${JSON.stringify(sh)}`);
  if (sh.n * sh.c * sh.s >= 2 ** 32) throw new Error(`${label}: ${sh.n}x${sh.c}x${sh.s} elements overflow 32-bit indices`);
}

/** Elements per thread of the elementwise passes: a vec4 when the 4 share a channel (S % 4 == 0). */
const perThread = (sh: ChannelShape) => (sh.s % 4 === 0 ? 4 : 1);

const reduceUniforms = (sh: ChannelShape) => {
  const m = sh.n * sh.s;
  // The last field is Params.zero (batchnorm_reduce.wgsl's opaque 0 that keeps Kahan sums compensated).
  return packUniforms([sh.n, sh.c, sh.s, { f32: BN_MOMENTUM }, { f32: m / Math.max(m - 1, 1) }, 0]);
};

/**
 * Per-channel mean and biased variance over N and S, one workgroup (or, 'serial', one invocation) per
 * channel: a mean pass, then a pass over the deviations (accurate when |mean| >> std); or, 'split', one
 * pass over x by many workgroups and a dispatch combining their partial results (opts.partials: scratch of
 * bnPartialBytes). Relative error of the variance ~1e-7 (see the test).
 */
export async function bnStats(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  x: BufferRef,
  mean: BufferRef,
  variance: BufferRef,
  opts: { variant?: ReduceVariant; partials?: BufferRef } = {},
): Promise<Dispatch[]> {
  check(label, sh);
  const variant = opts.variant ?? gpu.tuning.bnReduce;
  if (variant === 'split') return bnStatsSplit(gpu, label, sh, x, mean, variance, opts.partials);
  const r = reduction(gpu, 'stats', sh, variant, 2);
  const count = sh.n * sh.c * sh.s;
  return [
    await prepare(gpu, reduce, {
      entry: r.entry,
      label,
      buffers: [x, x, x, x, mean, variance],
      uniforms: reduceUniforms(sh),
      grid: r.grid,
      constants: { WG: r.WG },
      // Two sweeps over each channel (the mean, then the deviations); Kahan sums cost 4 flops a term.
      cost: cost((r.serial ? 14 : 5) * count, 2 * count, 2 * sh.c),
      loops: r.loops,
    }),
  ];
}

/**
 * y = gamma * (x - mean) / sqrt(variance + eps) + beta, then ReLU when opts.relu. Train mode passes the
 * batch statistics, eval mode the running ones.
 */
export function bnApply(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  x: BufferRef,
  mean: BufferRef,
  variance: BufferRef,
  gamma: BufferRef,
  beta: BufferRef,
  y: BufferRef,
  opts: { relu?: boolean } = {},
): Promise<Dispatch> {
  check(label, sh);
  const count = sh.n * sh.c * sh.s;
  const per = perThread(sh);
  return prepare(gpu, elementwise, {
    entry: per === 4 ? 'apply4' : 'apply',
    label,
    buffers: [x, x, mean, variance, gamma, beta, x, y],
    uniforms: packUniforms([count, sh.c, sh.s]),
    grid: grid1d(count / per, WG),
    constants: { WG, EPS: BN_EPS, RELU: opts.relu ? 1 : 0 },
    // x in, y out; each workgroup reads mean, variance, gamma and beta of its channels.
    cost: cost((opts.relu ? 4 : 3) * count, count + channelParamFloats(count, WG * per, sh.s, sh.c, 4), count),
    loops: 0, // elementwise: no loops
  });
}

/**
 * In place: runMean = 0.9 runMean + 0.1 mean, runVar = 0.9 runVar + 0.1 variance * m/(m-1), m = n*s.
 * mean/variance must not share a buffer with runMean/runVar (a dispatch cannot read and write one buffer).
 */
export function bnUpdateRunning(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  mean: BufferRef,
  variance: BufferRef,
  runMean: BufferRef,
  runVar: BufferRef,
): Promise<Dispatch> {
  check(label, sh);
  return prepare(gpu, reduce, {
    entry: 'update_running',
    label,
    buffers: [mean, mean, mean, variance, runMean, runVar],
    uniforms: reduceUniforms(sh),
    grid: grid1d(sh.c, WG),
    constants: { WG },
    cost: cost(7 * sh.c, 4 * sh.c, 2 * sh.c),
    loops: 0, // elementwise: no loops
  });
}

/** Eval-mode BN's input gradient: dx = dy * gamma / sqrt(runVar + eps). */
export function bnEvalGradInput(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  dy: BufferRef,
  gamma: BufferRef,
  runVar: BufferRef,
  dx: BufferRef,
): Promise<Dispatch> {
  check(label, sh);
  const count = sh.n * sh.c * sh.s;
  return prepare(gpu, elementwise, {
    entry: 'eval_grad',
    label,
    buffers: [dy, dy, gamma, runVar, gamma, gamma, gamma, dx],
    uniforms: packUniforms([count, sh.c, sh.s]),
    grid: grid1d(count, WG),
    constants: { WG, EPS: BN_EPS },
    // dy in, dx out; gamma and runVar per channel (counted once per element: an upper bound, like the flat kernels)
    cost: cost(3 * count, 3 * count, count),
    loops: 0, // elementwise: no loops
  });
}

/**
 * Sets the momentum of a bnUpdateRunning dispatch for the next submit (Params.momentum: the 4th 32-bit field).
 * Re-estimating the statistics as a cumulative average uses 1/k for the k-th batch (PyTorch's momentum=None).
 */
export function setBnMomentum(gpu: Gpu, d: Dispatch, momentum: number): void {
  if (!d.uniforms) throw new Error(`${d.label}: not a bnUpdateRunning dispatch`);
  gpu.device.queue.writeBuffer(d.uniforms, 12, Float32Array.of(momentum));
}

/**
 * Train-mode backward: a per-channel reduce writing dgamma = sum(dy * xhat) and dbeta = sum(dy) (two
 * dispatches when 'split', with opts.partials as for bnStats), then an elementwise pass writing dx. All
 * three outputs are overwritten. dgamma/dbeta must not share a buffer with x, dy, mean or variance.
 */
export async function bnBackward(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  dy: BufferRef,
  x: BufferRef,
  mean: BufferRef,
  variance: BufferRef,
  gamma: BufferRef,
  dx: BufferRef,
  dgamma: BufferRef,
  dbeta: BufferRef,
  opts: { variant?: ReduceVariant; partials?: BufferRef } = {},
): Promise<Dispatch[]> {
  check(label, sh);
  const count = sh.n * sh.c * sh.s;
  const variant = opts.variant ?? gpu.tuning.bnReduce;
  const reduced =
    variant === 'split'
      ? bnBackwardReduceSplit(gpu, `${label}.reduce`, sh, dy, x, mean, variance, dgamma, dbeta, opts.partials, BN_EPS)
      : reduceOnce(gpu, `${label}.reduce`, sh, dy, x, mean, variance, dgamma, dbeta, variant);
  return [
    ...(await reduced),
    await prepare(gpu, elementwise, {
      entry: perThread(sh) === 4 ? 'backward_apply4' : 'backward_apply',
      label: `${label}.apply`,
      buffers: [x, dy, mean, variance, gamma, dbeta, dgamma, dx],
      uniforms: packUniforms([count, sh.c, sh.s]),
      grid: grid1d(count / perThread(sh), WG),
      constants: { WG, EPS: BN_EPS },
      // x and dy in, dx out; each workgroup reads mean, variance, gamma, dbeta and dgamma of its channels.
      cost: cost(8 * count, 2 * count + channelParamFloats(count, WG * perThread(sh), sh.s, sh.c, 5), count),
      loops: 0, // elementwise: no loops
    }),
  ];
}

/** dgamma and dbeta with one workgroup (or invocation) per channel: one sweep over x and dy. */
async function reduceOnce(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  dy: BufferRef,
  x: BufferRef,
  mean: BufferRef,
  variance: BufferRef,
  dgamma: BufferRef,
  dbeta: BufferRef,
  variant: 'workgroup' | 'serial',
): Promise<Dispatch[]> {
  const count = sh.n * sh.c * sh.s;
  const r = reduction(gpu, 'backward_reduce', sh, variant, 1);
  return [
    await prepare(gpu, reduce, {
      entry: r.entry,
      label,
      buffers: [x, dy, mean, variance, dgamma, dbeta],
      uniforms: reduceUniforms(sh),
      grid: r.grid,
      constants: { WG: r.WG, EPS: BN_EPS },
      // One sweep over x and dy; mean and variance per channel.
      cost: cost((r.serial ? 10 : 4) * count, 2 * count + 2 * sh.c, 2 * sh.c),
      loops: r.loops,
    }),
  ];
}
