// Float64 reference for convolution (src/kernels/conv.ts and convImplicit.ts): direct loops, the ground
// truth. Layouts: x NCHW, w OIHW. The im2col/col2im pieces of the GPU path are in im2col.ts, its GEMM in gemm.ts.
import { convOutSize, type ConvGeom } from '../geometry';

type Arr = ArrayLike<number>;

/**
 * Calls `tap(yAt, wAt, xAt)` for every product of the convolution: output element y[n,o,i,j] (flat index yAt)
 * takes w[o,c,ki,kj] (wAt) times x[n,c,i*s-p+ki,j*s-p+kj] (xAt); taps that fall in the padding are skipped.
 * The forward pass and both gradients are this one walk with a different accumulation.
 */
function forEachTap(g: ConvGeom, tap: (yAt: number, wAt: number, xAt: number) => void): void {
  const { oh, ow } = convOutSize(g);
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.o; o++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const yAt = ((n * g.o + o) * oh + i) * ow + j;
          for (let c = 0; c < g.c; c++)
            for (let ki = 0; ki < g.kh; ki++) {
              const yi = i * g.stride - g.pad + ki;
              if (yi < 0 || yi >= g.h) continue;
              for (let kj = 0; kj < g.kw; kj++) {
                const xj = j * g.stride - g.pad + kj;
                if (xj < 0 || xj >= g.w) continue;
                tap(yAt, ((o * g.c + c) * g.kh + ki) * g.kw + kj, ((n * g.c + c) * g.h + yi) * g.w + xj);
              }
            }
        }
}

/** y[n,o,i,j] = sum_{c,ki,kj} w[o,c,ki,kj] * x[n,c,i*s-p+ki,j*s-p+kj] (+ b[o]) */
export function conv2d(g: ConvGeom, x: Arr, w: Arr, b?: Arr): Float64Array {
  const { oh, ow } = convOutSize(g);
  const y = new Float64Array(g.n * g.o * oh * ow);
  if (b) for (let k = 0; k < y.length; k++) y[k] = b[Math.floor(k / (oh * ow)) % g.o];
  forEachTap(g, (yAt, wAt, xAt) => (y[yAt] += w[wAt] * x[xAt]));
  return y;
}

/** dx from dy (the transpose of conv2d in x). */
export function conv2dBackwardInput(g: ConvGeom, dy: Arr, w: Arr): Float64Array {
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  forEachTap(g, (yAt, wAt, xAt) => (dx[xAt] += dy[yAt] * w[wAt]));
  return dx;
}

/** dw[o,c,ki,kj] = sum_{n,i,j} dy[n,o,i,j] * x[n,c,i*s-p+ki,j*s-p+kj] */
export function conv2dBackwardWeight(g: ConvGeom, dy: Arr, x: Arr): Float64Array {
  const dw = new Float64Array(g.o * g.c * g.kh * g.kw);
  forEachTap(g, (yAt, wAt, xAt) => (dw[wAt] += dy[yAt] * x[xAt]));
  return dw;
}
