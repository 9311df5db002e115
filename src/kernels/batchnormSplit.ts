// BatchNorm's per-channel reductions split over workgroups (shaders/batchnorm_split.wgsl): the 'split'
// variant of batchnorm.ts's bnStats and bnBackward reduce, for GPUs. Each channel's N*S values go to
// workgroups of BN_CHUNK values, which write partial results into scratch; a second dispatch (one invocation
// per channel) combines them. The scratch holds two arrays [C, chunks], the second at a 256-byte boundary
// (storage bindings start at multiples of minStorageBufferOffsetAlignment).
import code from '../../shaders/batchnorm_split.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { flatWg } from '../gpu/tuning';
import { align } from '../gpu/buffers';
import type { ChannelShape } from '../geometry';
import { cost } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'batchnorm_split', code, bindings: ['read', 'read', 'read', 'rw', 'rw', 'uniform'] };
const WG = 256;
/** Values per workgroup of the partial passes: 256 invocations holding 8 values each in registers. */
export const BN_CHUNK = WG * 8;

/** A partial pass's loops: at most 4 gathers of 4 lanes (two vec4s of two inputs) and the workgroup's tree. */
const PARTIAL_LOOPS = 4 * 4 + Math.log2(WG);

const chunksOf = (sh: ChannelShape) => Math.ceil((sh.n * sh.s) / BN_CHUNK);
const half = (sh: ChannelShape) => sh.c * chunksOf(sh) * 4;

/** Bytes of scratch the partial results of one split reduction take. */
export const bnSplitBytes = (sh: ChannelShape) => align(half(sh), 256) + half(sh);

/** The two partial arrays inside the scratch buffer (which starts at a 256-byte boundary). */
function halves(label: string, sh: ChannelShape, partials: BufferRef | undefined): [BufferRef, BufferRef] {
  if (!partials) throw new Error(`${label}: a split BatchNorm reduction needs ${bnSplitBytes(sh)} bytes of scratch for its partial sums`);
  const at = partials.offset ?? 0;
  return [
    { buffer: partials.buffer, offset: at, size: half(sh) },
    { buffer: partials.buffer, offset: at + align(half(sh), 256), size: half(sh) },
  ];
}

function passes(gpu: Gpu, sh: ChannelShape) {
  const chunks = chunksOf(sh);
  const fin = flatWg(gpu.tuning, sh.c, 64);
  return {
    chunks,
    uniforms: packUniforms([sh.n, sh.c, sh.s, chunks, BN_CHUNK]),
    vec4: sh.s % 4 === 0 ? '4' : '',
    partialGrid: [chunks, sh.c, 1] as [number, number, number],
    finalGrid: grid1d(sh.c, fin),
    fin,
  };
}

/** mean and biased variance of x per channel; x is read once. */
export function bnStatsSplit(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  x: BufferRef,
  mean: BufferRef,
  variance: BufferRef,
  partials: BufferRef | undefined,
): Promise<Dispatch[]> {
  const [s, q] = halves(label, sh, partials);
  const p = passes(gpu, sh);
  const count = sh.n * sh.c * sh.s;
  const parts = p.chunks * sh.c;
  return Promise.all([
    prepare(gpu, def, {
      entry: `stats_partial${p.vec4}`,
      label: `${label}.partial`,
      buffers: [x, x, x, s, q],
      uniforms: p.uniforms,
      grid: p.partialGrid,
      constants: { WG },
      // x once, plus the channel's shift per workgroup; per value: shift, add, deviation, square-add.
      cost: cost(5 * count, count + parts, 2 * parts),
      loops: PARTIAL_LOOPS,
    }),
    prepare(gpu, def, {
      entry: 'stats_finalize',
      label: `${label}.finalize`,
      buffers: [x, s, q, mean, variance],
      uniforms: p.uniforms,
      grid: p.finalGrid,
      constants: { WG: p.fin },
      cost: cost(6 * parts, 2 * parts + sh.c, 2 * sh.c),
      loops: 2 * p.chunks, // two sweeps over the channel's partials
    }),
  ]);
}

/** dgamma = sum(dy * (x - mean)) / sqrt(variance + eps) and dbeta = sum(dy) per channel; x and dy read once. */
export function bnBackwardReduceSplit(
  gpu: Gpu,
  label: string,
  sh: ChannelShape,
  dy: BufferRef,
  x: BufferRef,
  mean: BufferRef,
  variance: BufferRef,
  dgamma: BufferRef,
  dbeta: BufferRef,
  partials: BufferRef | undefined,
  eps: number,
): Promise<Dispatch[]> {
  const [p0, p1] = halves(label, sh, partials);
  const p = passes(gpu, sh);
  const count = sh.n * sh.c * sh.s;
  const parts = p.chunks * sh.c;
  return Promise.all([
    prepare(gpu, def, {
      entry: `backward_partial${p.vec4}`,
      label: `${label}.partial`,
      buffers: [x, dy, mean, p0, p1],
      uniforms: p.uniforms,
      grid: p.partialGrid,
      constants: { WG },
      cost: cost(4 * count, 2 * count + parts, 2 * parts),
      loops: PARTIAL_LOOPS,
    }),
    prepare(gpu, def, {
      entry: 'backward_finalize',
      label: `${label}.finalize`,
      buffers: [variance, p0, p1, dgamma, dbeta],
      uniforms: p.uniforms,
      grid: p.finalGrid,
      constants: { WG: p.fin, EPS: eps },
      cost: cost(2 * parts + 2 * sh.c, 2 * parts + sh.c, 2 * sh.c),
      loops: p.chunks, // one sweep over the channel's partials
    }),
  ]);
}
