// Convolution lowered to im2col + GEMM (DESIGN.md): x NCHW, w OIHW = a row-major [O, C*KH*KW] matrix,
// col[n] = [C*KH*KW, OH*OW], y[n] = [O, OH*OW]. Every image is one batch of the GEMM (grid z), W shared.
// A 1x1, stride 1, unpadded convolution needs no column matrix: x[n] already is col[n].
// The 'implicit' (convImplicit.ts: CPU adapters) and 'igemm' (convIgemm.ts, convIgemmWeight.ts: GPUs)
// variants compute the same products without the column buffer; the tuning (gpu.tuning.conv) picks a
// variant per pass, opts.variant forces one. Without 'explicit' the column buffer argument is ignored (it
// may be undefined).
import type { Gpu } from '../gpu/gpu';
import type { ConvVariant, Tuning } from '../gpu/tuning';
import { convOutSize, type ConvGeom, type GemmShape } from '../geometry';
import { gemm, gemmSplits } from './gemm';
import { channelSum } from './pool';
import { col2im, im2col } from './im2col';
import { convImplicitBackwardInput, convImplicitBackwardWeight, convImplicitForward, implicitWeightSplits } from './convImplicit';
import { igemmBackwardInput, igemmForward } from './convIgemm';
import { igemmBackwardWeight, igemmWeightSplits } from './convIgemmWeight';
import type { BufferRef, Dispatch } from './kernel';

export type Pass = 'forward' | 'input' | 'weight';
const variantOf = (gpu: Gpu, pass: Pass, opts: { variant?: ConvVariant }) => opts.variant ?? gpu.tuning.conv[pass];

const isPointwise = (g: ConvGeom) => g.kh === 1 && g.kw === 1 && g.stride === 1 && g.pad === 0;

/**
 * Floats of column buffer the convolution needs (N*C*KH*KW*OH*OW), 0 for the 1x1/stride 1/pad 0 path.
 * With a tuning, the need of that pass as the tuning runs it (0 unless it runs explicit).
 */
export function colElements(g: ConvGeom, run?: { tuning: Tuning; pass: Pass }): number {
  if (isPointwise(g) || (run && run.tuning.conv[run.pass] !== 'explicit')) return 0;
  const { oh, ow } = convOutSize(g);
  return g.n * g.c * g.kh * g.kw * oh * ow;
}

/** Row-major [rows, cols] per image, `batch` apart. */
const rowMajor = (rows: number, cols: number) => ({ batch: rows * cols, row: cols, col: 1 });

function dims(g: ConvGeom) {
  const { oh, ow } = convOutSize(g);
  return { r: g.c * g.kh * g.kw, p: oh * ow };
}

function needCol(label: string, g: ConvGeom, col: BufferRef | undefined): BufferRef {
  if (!col) throw new Error(`${label}: convolution ${JSON.stringify(g)} needs a column buffer of ${colElements(g)} floats`);
  return col;
}

/** y[n] = W col[n] (+ bias[o]). */
export async function conv2dForward(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  x: BufferRef,
  w: BufferRef,
  bias: BufferRef | undefined,
  col: BufferRef | undefined,
  y: BufferRef,
  opts: { variant?: ConvVariant } = {},
): Promise<Dispatch[]> {
  const variant = variantOf(gpu, 'forward', opts);
  if (variant === 'implicit') return [await convImplicitForward(gpu, `${label}.implicit`, g, x, w, bias, y)];
  if (variant === 'igemm') return [await igemmForward(gpu, `${label}.igemm`, g, x, w, bias, y)];
  const { r, p } = dims(g);
  const W = rowMajor(g.o, r);
  const X = rowMajor(r, p);
  const Y = rowMajor(g.o, p);
  const s: GemmShape = {
    m: g.o,
    n: p,
    k: r,
    batch: g.n,
    aBatch: 0,
    aRow: W.row,
    aCol: W.col,
    bBatch: X.batch,
    bRow: X.row,
    bCol: X.col,
    cBatch: Y.batch,
    cRow: Y.row,
    cCol: Y.col,
    bias: bias ? 'row' : 'none',
  };
  if (isPointwise(g)) return [await gemm(gpu, `${label}.gemm`, s, w, x, y, bias)];
  const c = needCol(label, g, col);
  return Promise.all([im2col(gpu, `${label}.im2col`, g, x, c), gemm(gpu, `${label}.gemm`, s, w, c, y, bias)]);
}

/** dcol[n] = W^T dY[n], then dx = col2im(dcol). */
export async function conv2dBackwardInput(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  dy: BufferRef,
  w: BufferRef,
  dcol: BufferRef | undefined,
  dx: BufferRef,
  opts: { variant?: ConvVariant } = {},
): Promise<Dispatch[]> {
  const variant = variantOf(gpu, 'input', opts);
  if (variant === 'implicit') return [await convImplicitBackwardInput(gpu, `${label}.implicit`, g, dy, w, dx)];
  if (variant === 'igemm') return [await igemmBackwardInput(gpu, `${label}.igemm`, g, dy, w, dx)];
  const { r, p } = dims(g);
  const W = rowMajor(g.o, r);
  const DY = rowMajor(g.o, p);
  const DCOL = rowMajor(r, p);
  const s: GemmShape = {
    m: r,
    n: p,
    k: g.o,
    batch: g.n,
    aBatch: 0,
    aRow: W.col,
    aCol: W.row, // W^T: swapped strides
    bBatch: DY.batch,
    bRow: DY.row,
    bCol: DY.col,
    cBatch: DCOL.batch,
    cRow: DCOL.row,
    cCol: DCOL.col,
  };
  if (isPointwise(g)) return [await gemm(gpu, `${label}.gemm`, s, w, dy, dx)];
  const c = needCol(label, g, dcol);
  return Promise.all([gemm(gpu, `${label}.gemm`, s, w, dy, c), col2im(gpu, `${label}.col2im`, g, c, dx)]);
}

/** The weight gradient's GEMM: dW [O, C*KH*KW] = sum over images of dY[n] [O, P] col[n]^T [P, C*KH*KW]. */
function weightGemm(g: ConvGeom): GemmShape {
  const { r, p } = dims(g);
  const DY = rowMajor(g.o, p);
  const COL = rowMajor(r, p);
  const DW = rowMajor(g.o, r);
  const s: GemmShape = {
    m: g.o,
    n: r,
    k: p,
    batch: g.n,
    aBatch: DY.batch,
    aRow: DY.row,
    aCol: DY.col,
    bBatch: COL.batch,
    bRow: COL.col,
    bCol: COL.row, // col^T: swapped strides
    cBatch: g.o * r,
    cRow: DW.row,
    cCol: DW.col, // cBatch: between split-K partial sums
    reduceBatch: true,
  };
  return s;
}

/**
 * Floats of partial sums the weight gradient needs under `tuning` (split over the images, so its few
 * output tiles still fill a GPU, and so no invocation loops past MAX_LOOP_ITERATIONS: gemmSplits for
 * 'explicit', igemmWeightSplits for 'igemm', implicitWeightSplits for 'implicit'): splits * O * C*KH*KW, 0 when
 * it does not split.
 */
export function partialElements(g: ConvGeom, tuning: Tuning): number {
  const v = tuning.conv.weight;
  const splits =
    v === 'implicit' ? implicitWeightSplits(g, tuning) : v === 'igemm' ? igemmWeightSplits(g, tuning) : gemmSplits(tuning, weightGemm(g));
  return splits > 1 ? splits * g.o * dims(g).r : 0;
}

/**
 * dW = sum_n dY[n] col[n]^T: one GEMM whose workgroups loop over the images (reduceBatch). Where the
 * tuning splits it (partialElements > 0), the GEMM writes per-split partial sums into `partials` and a
 * channel-sum adds them up into dW.
 */
export async function conv2dBackwardWeight(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  dy: BufferRef,
  x: BufferRef,
  col: BufferRef | undefined,
  dw: BufferRef,
  opts: { variant?: ConvVariant; partials?: BufferRef } = {},
): Promise<Dispatch[]> {
  const variant = variantOf(gpu, 'weight', opts);
  if (variant === 'implicit') return convImplicitBackwardWeight(gpu, `${label}.implicit`, g, dy, x, dw, opts.partials);
  if (variant === 'igemm') return igemmBackwardWeight(gpu, label, g, dy, x, dw, opts.partials);
  const s = weightGemm(g);
  const splits = gemmSplits(gpu.tuning, s);
  const b = isPointwise(g) ? x : needCol(label, g, col);
  const prep = isPointwise(g) ? [] : [im2col(gpu, `${label}.im2col`, g, x, b)];
  if (splits === 1) return Promise.all([...prep, gemm(gpu, `${label}.gemm`, s, dy, b, dw)]);
  const sums = s.m * s.n;
  if (!opts.partials) throw new Error(`${label}: weight gradient ${JSON.stringify(g)} needs ${splits * sums} floats of partial sums`);
  return Promise.all([
    ...prep,
    gemm(gpu, `${label}.gemm`, { ...s, splits }, dy, b, opts.partials),
    // Partials [splits, O * C*KH*KW] summed over the splits: channel sums with n = splits, s = 1.
    channelSum(gpu, `${label}.splitSum`, { n: splits, c: sums, s: 1 }, opts.partials, dw, { variant: 'serial' }),
  ]);
}
