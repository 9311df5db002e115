// Strided, batched GEMM: C = A B (+ bias), C overwritten. Two variants with one contract:
// 'tiled' (shaders/gemm.wgsl, workgroup-memory tiles: GPUs) and 'direct' (shaders/gemm_direct.wgsl, no
// workgroup memory or barriers: CPU adapters). gpu.tuning.gemm picks one; opts.variant forces one.
// The strides and batching of a product are a GemmShape (src/geometry.ts).
import code from '../../shaders/gemm.wgsl?raw';
import directCode from '../../shaders/gemm_direct.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import type { Tuning } from '../gpu/tuning';
import type { GemmShape } from '../geometry';
import { splitsWithin } from './loops';
import { cost, type Cost } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'gemm', code, bindings: ['read', 'read', 'rw', 'read', 'uniform'] };
const directDef: KernelDef = { name: 'gemm_direct', code: directCode, bindings: def.bindings };
const BIAS = { none: 0, row: 1, col: 2 } as const;

/**
 * Workgroup tile: 4x4 outputs per thread, TY*4 rows by TX*4 columns. A small M (16 output channels)
 * gets a short, wide tile so fewer lanes compute padding.
 */
function tile(s: GemmShape): { TX: number; TY: number; BK: number } {
  const TY = s.m > 32 ? 16 : s.m > 16 ? 8 : 4;
  const TX = s.n > 32 ? 16 : 8;
  return { TX, TY, BK: 16 };
}

/** Largest element index an operand's strides touch (+1), to check it against the bound buffer. */
function extent(batches: number, rows: number, cols: number, sb: number, sr: number, sc: number): number {
  return (batches - 1) * sb + (rows - 1) * sr + (cols - 1) * sc + 1;
}

function checkFits(label: string, what: string, ref: BufferRef, elements: number): void {
  const bytes = ref.size ?? ref.buffer.size - (ref.offset ?? 0);
  if (elements * 4 > bytes) throw new Error(`${label}: gemm ${what} needs ${elements} floats, buffer binds ${bytes / 4}`);
}

export type GemmVariant = Tuning['gemm'];

/** Workgroups one batch (grid-z slice) of the GEMM runs with this variant. */
function groupsPerBatch(t: Tuning, s: GemmShape, variant: GemmVariant): number {
  if (variant === 'direct') return Math.ceil((Math.ceil(s.m / 8) * Math.ceil(s.n / 8)) / t.gemmDirectWg);
  const { TX, TY } = tile(s);
  return Math.ceil(s.n / (TX * 4)) * Math.ceil(s.m / (TY * 4));
}

/**
 * Partial sums to split a reduceBatch GEMM into (split-K over the batches) so that it runs at least
 * tuning.splitKGroups workgroups: a convolution weight gradient has few output tiles (16 x 144 at stage 1
 * is 5 workgroups of the tiled variant) and would otherwise leave most of a GPU idle while each workgroup
 * loops over every image. 1 when the tuning does not split or the GEMM already has enough workgroups, and
 * in any case enough that no invocation loops past MAX_LOOP_ITERATIONS over its batches (loops.ts).
 * The caller provides splits * m * n floats for the partials and sums them (conv.ts).
 */
export function gemmSplits(t: Tuning, s: GemmShape, variant: GemmVariant = t.gemm): number {
  if (!s.reduceBatch || s.batch < 2) return 1;
  const want = t.splitKGroups > 0 ? Math.min(s.batch, Math.ceil(t.splitKGroups / groupsPerBatch(t, s, variant))) : 1;
  const l = gemmLoops(s, variant);
  return splitsWithin(s.batch, l.perBatch, l.fixed, want);
}

/** Loop iterations of one GEMM invocation: `perBatch` for each batch it sums, and `fixed` for its stores. */
function gemmLoops(s: GemmShape, variant: GemmVariant): { perBatch: number; fixed: number } {
  // direct: the batch loop's pass and k multiply-adds; then 16 stores of 4 lanes.
  if (variant === 'direct') return { perBatch: 1 + s.k, fixed: 16 * 4 };
  // tiled: per K step the A and B tile loads (strided by the workgroup's threads), two barriers' worth of
  // bookkeeping and BK multiply-adds; then the 4 x 4 register block's stores.
  const { TX, TY, BK } = tile(s);
  const loads = (BK * (TY * 4 + TX * 4)) / (TX * TY);
  return { perBatch: 1 + Math.ceil(s.k / BK) * (1 + loads + 2 + BK), fixed: 4 * 5 };
}

/**
 * The tiled GEMM's cost: each workgroup stages its rows of A and columns of B for every batch it sums (A is
 * read once per column tile, B once per row tile) and computes its whole padded tile over K rounded up to BK.
 */
export function gemmTiledCost(s: GemmShape): Cost {
  const { TX, TY, BK } = tile(s);
  const [bm, bn] = [TY * 4, TX * 4];
  const [tilesM, tilesN] = [Math.ceil(s.m / bm), Math.ceil(s.n / bn)];
  const outs = s.reduceBatch ? (s.splits ?? 1) : s.batch;
  const bias = s.bias === 'row' ? tilesN * s.m : s.bias === 'col' ? tilesM * s.n : 0;
  const padded = tilesM * tilesN * bm * bn * Math.ceil(s.k / BK) * BK;
  return cost(
    2 * padded * s.batch + (bias ? s.m * s.n * outs : 0),
    s.batch * s.k * (tilesN * s.m + tilesM * s.n) + bias * outs,
    s.m * s.n * outs,
  );
}

/**
 * The direct GEMM's cost: invocation t owns the 8x8 block (t / nBlocks, t % nBlocks); a workgroup reads
 * the rows of A and columns of B of its blocks once per batch, every invocation computes a full 8x8 block.
 */
export function gemmDirectCost(s: GemmShape, wg: number): Cost {
  const nBlocks = Math.ceil(s.n / 8);
  const blocks = nBlocks * Math.ceil(s.m / 8);
  const outs = s.reduceBatch ? (s.splits ?? 1) : s.batch;
  let lines = 0; // rows of A plus columns of B, summed over workgroups
  let bias = 0;
  for (let t0 = 0; t0 < blocks; t0 += wg) {
    const rows = new Set<number>();
    const cols = new Set<number>();
    for (let t = t0; t < Math.min(blocks, t0 + wg); t++) {
      rows.add(Math.floor(t / nBlocks));
      cols.add(t % nBlocks);
    }
    const r = [...rows].reduce((a, b) => a + Math.min(8, s.m - 8 * b), 0);
    const c = [...cols].reduce((a, b) => a + Math.min(8, s.n - 8 * b), 0);
    lines += r + c;
    bias += s.bias === 'row' ? r : s.bias === 'col' ? c : 0;
  }
  return cost(2 * 64 * blocks * s.k * s.batch + (bias ? s.m * s.n * outs : 0), lines * s.k * s.batch + bias * outs, s.m * s.n * outs);
}

/** C = A B (+ bias) per batch (grid z), or C = sum_b A[b] B[b] with reduceBatch. */
export async function gemm(
  gpu: Gpu,
  label: string,
  s: GemmShape,
  a: BufferRef,
  b: BufferRef,
  c: BufferRef,
  bias?: BufferRef,
  opts: { variant?: GemmVariant } = {},
): Promise<Dispatch> {
  const mode = s.bias ?? 'none';
  if (mode !== 'none' && !bias) throw new Error(`${label}: gemm bias '${mode}' needs a bias buffer`);
  if (s.m < 1 || s.n < 1 || s.k < 1 || s.batch < 1) throw new Error(`${label}: gemm with an empty dimension ${JSON.stringify(s)}`);
  checkFits(label, 'A', a, extent(s.batch, s.m, s.k, s.aBatch, s.aRow, s.aCol));
  checkFits(label, 'B', b, extent(s.batch, s.k, s.n, s.bBatch, s.bRow, s.bCol));
  const splits = s.splits ?? 1;
  if (!Number.isInteger(splits) || splits < 1 || splits > s.batch || (splits > 1 && !s.reduceBatch))
    throw new Error(`${label}: gemm splits ${splits} needs reduceBatch and 1 <= splits <= batch ${s.batch}`);
  const per = Math.ceil(s.batch / splits);
  if (Math.ceil(s.batch / per) !== splits) throw new Error(`${label}: gemm splits ${splits} leaves an empty split of ${s.batch} batches`);
  checkFits(label, 'C', c, extent(s.reduceBatch ? splits : s.batch, s.m, s.n, s.cBatch, s.cRow, s.cCol));
  if (bias) checkFits(label, 'bias', bias, mode === 'row' ? s.m : mode === 'col' ? s.n : 0);
  const uniforms = packUniforms([
    s.m,
    s.n,
    s.k,
    s.batch,
    s.aBatch,
    s.aRow,
    s.aCol,
    s.bBatch,
    s.bRow,
    s.bCol,
    s.cBatch,
    s.cRow,
    s.cCol,
    per,
  ]);
  // Without a bias the slot still needs a buffer; A is read-only too, so binding it twice is valid.
  const buffers = [a, b, c, mode === 'none' ? a : bias!];
  const flags = { BIAS: BIAS[mode], REDUCE: s.reduceBatch ? 1 : 0 };
  const batches = s.reduceBatch ? splits : s.batch;
  // Batches one workgroup sums (reduceBatch: a split's share; else its own one), each a pass over k.
  const loopsOf = (l: { perBatch: number; fixed: number }) => (s.reduceBatch ? per : 1) * l.perBatch + l.fixed;
  if ((opts.variant ?? gpu.tuning.gemm) === 'direct') {
    // One invocation per 8x8 block of C, n-block fastest; batches in grid z. Smaller workgroups when
    // there are few blocks (the weight gradient's reduceBatch), so every core gets some.
    const blocks = Math.ceil(s.m / 8) * Math.ceil(s.n / 8);
    let WG = gpu.tuning.gemmDirectWg;
    while (WG > 4 && Math.ceil(blocks / WG) * batches < gpu.tuning.minGroups) WG /= 2;
    const [gx, gy] = grid1d(blocks, WG);
    return prepare(gpu, directDef, {
      entry: 'main',
      label,
      buffers,
      uniforms,
      grid: [gx, gy, batches],
      constants: { WG, ...flags },
      cost: gemmDirectCost(s, WG),
      loops: loopsOf(gemmLoops(s, 'direct')),
    });
  }
  const t = tile(s);
  return prepare(gpu, def, {
    entry: 'main',
    label,
    buffers,
    uniforms,
    grid: [Math.ceil(s.n / (t.TX * 4)), Math.ceil(s.m / (t.TY * 4)), batches],
    constants: { ...t, ...flags },
    cost: gemmTiledCost(s),
    loops: loopsOf(gemmLoops(s, 'tiled')),
  });
}

// The fully connected layer's three products, on row-major x [N, C], w [K, C] (torch.nn.Linear), y [N, K].

/** y[N,K] = x[N,C] W^T + b: A = x, B(k=c, n=j) = W[j, c], bias per column of y. */
export const linearForwardStrides = (n: number, cin: number, k: number): GemmShape => ({
  m: n,
  n: k,
  k: cin,
  batch: 1,
  aBatch: 0,
  aRow: cin,
  aCol: 1,
  bBatch: 0,
  bRow: 1,
  bCol: cin,
  cBatch: 0,
  cRow: k,
  cCol: 1,
  bias: 'col',
});

/** dx[N,C] = dy[N,K] W[K,C]. */
export const linearGradInputStrides = (n: number, cin: number, k: number): GemmShape => ({
  m: n,
  n: cin,
  k,
  batch: 1,
  aBatch: 0,
  aRow: k,
  aCol: 1,
  bBatch: 0,
  bRow: cin,
  bCol: 1,
  cBatch: 0,
  cRow: cin,
  cCol: 1,
});

/** dW[K,C] = dy^T[K,N] x[N,C]. */
export const linearGradWeightStrides = (n: number, cin: number, k: number): GemmShape => ({
  m: k,
  n: cin,
  k: n,
  batch: 1,
  aBatch: 0,
  aRow: 1,
  aCol: k,
  bBatch: 0,
  bRow: cin,
  bCol: 1,
  cBatch: 0,
  cRow: cin,
  cCol: 1,
});
