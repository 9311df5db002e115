// Float64 reference for im2col and its adjoint col2im (src/kernels/im2col.ts): the column matrix the
// explicit convolution multiplies. Layouts: x NCHW, col [N, C*KH*KW, OH*OW].
import { convOutSize, type ConvGeom } from '../geometry';

type Arr = ArrayLike<number>;

/** Calls `pair(colAt, xAt)` for every column entry that reads an image pixel (entries in the padding stay 0). */
function forEachEntry(g: ConvGeom, pair: (colAt: number, xAt: number) => void): void {
  const { oh, ow } = convOutSize(g);
  const rows = g.c * g.kh * g.kw;
  const p = oh * ow;
  for (let n = 0; n < g.n; n++)
    for (let c = 0; c < g.c; c++)
      for (let ki = 0; ki < g.kh; ki++)
        for (let kj = 0; kj < g.kw; kj++) {
          const r = (c * g.kh + ki) * g.kw + kj;
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++) {
              const yi = i * g.stride - g.pad + ki;
              const xj = j * g.stride - g.pad + kj;
              if (yi >= 0 && yi < g.h && xj >= 0 && xj < g.w) pair((n * rows + r) * p + i * ow + j, ((n * g.c + c) * g.h + yi) * g.w + xj);
            }
        }
}

/** col[n, (c*KH+ki)*KW+kj, i*OW+j] = x[n, c, i*s-p+ki, j*s-p+kj] (0 outside the image). */
export function im2col(g: ConvGeom, x: Arr): Float64Array {
  const { oh, ow } = convOutSize(g);
  const col = new Float64Array(g.n * g.c * g.kh * g.kw * oh * ow);
  forEachEntry(g, (colAt, xAt) => (col[colAt] = x[xAt]));
  return col;
}

/** The adjoint of im2col: dx accumulates every column entry that came from it. */
export function col2im(g: ConvGeom, col: Arr): Float64Array {
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  forEachEntry(g, (colAt, xAt) => (dx[xAt] += col[colAt]));
  return dx;
}
