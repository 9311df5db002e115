// Float64 reference for convolution: direct loops (the ground truth) and the im2col/col2im/GEMM pieces
// the GPU path is built from. Layouts: x NCHW, w OIHW, col [N, C*KH*KW, OH*OW].
type Arr = ArrayLike<number>;

export interface ConvGeom {
  n: number; c: number; h: number; w: number; // input
  o: number; kh: number; kw: number; // output channels, kernel
  stride: number; pad: number;
}

export const outSize = (size: number, k: number, stride: number, pad: number) => Math.floor((size + 2 * pad - k) / stride) + 1;
export const convOut = (g: ConvGeom) => ({ oh: outSize(g.h, g.kh, g.stride, g.pad), ow: outSize(g.w, g.kw, g.stride, g.pad) });

/** y[n,o,i,j] = sum_{c,ki,kj} w[o,c,ki,kj] * x[n,c,i*s-p+ki,j*s-p+kj] (+ b[o]) */
export function conv2d(g: ConvGeom, x: Arr, w: Arr, b?: Arr): Float64Array {
  const { oh, ow } = convOut(g);
  const y = new Float64Array(g.n * g.o * oh * ow);
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.o; o++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let s = b ? b[o] : 0;
          for (let c = 0; c < g.c; c++)
            for (let ki = 0; ki < g.kh; ki++) {
              const yi = i * g.stride - g.pad + ki;
              if (yi < 0 || yi >= g.h) continue;
              for (let kj = 0; kj < g.kw; kj++) {
                const xj = j * g.stride - g.pad + kj;
                if (xj < 0 || xj >= g.w) continue;
                s += w[((o * g.c + c) * g.kh + ki) * g.kw + kj] * x[((n * g.c + c) * g.h + yi) * g.w + xj];
              }
            }
          y[((n * g.o + o) * oh + i) * ow + j] = s;
        }
  return y;
}

/** dx from dy (the transpose of conv2d in x). */
export function conv2dBackwardInput(g: ConvGeom, dy: Arr, w: Arr): Float64Array {
  const { oh, ow } = convOut(g);
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.o; o++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const d = dy[((n * g.o + o) * oh + i) * ow + j];
          for (let c = 0; c < g.c; c++)
            for (let ki = 0; ki < g.kh; ki++) {
              const yi = i * g.stride - g.pad + ki;
              if (yi < 0 || yi >= g.h) continue;
              for (let kj = 0; kj < g.kw; kj++) {
                const xj = j * g.stride - g.pad + kj;
                if (xj < 0 || xj >= g.w) continue;
                dx[((n * g.c + c) * g.h + yi) * g.w + xj] += d * w[((o * g.c + c) * g.kh + ki) * g.kw + kj];
              }
            }
        }
  return dx;
}

/** dw[o,c,ki,kj] = sum_{n,i,j} dy[n,o,i,j] * x[n,c,i*s-p+ki,j*s-p+kj] */
export function conv2dBackwardWeight(g: ConvGeom, dy: Arr, x: Arr): Float64Array {
  const { oh, ow } = convOut(g);
  const dw = new Float64Array(g.o * g.c * g.kh * g.kw);
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.o; o++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const d = dy[((n * g.o + o) * oh + i) * ow + j];
          for (let c = 0; c < g.c; c++)
            for (let ki = 0; ki < g.kh; ki++) {
              const yi = i * g.stride - g.pad + ki;
              if (yi < 0 || yi >= g.h) continue;
              for (let kj = 0; kj < g.kw; kj++) {
                const xj = j * g.stride - g.pad + kj;
                if (xj < 0 || xj >= g.w) continue;
                dw[((o * g.c + c) * g.kh + ki) * g.kw + kj] += d * x[((n * g.c + c) * g.h + yi) * g.w + xj];
              }
            }
        }
  return dw;
}

/** col[n, (c*KH+ki)*KW+kj, i*OW+j] = x[n, c, i*s-p+ki, j*s-p+kj] (0 outside the image). */
export function im2col(g: ConvGeom, x: Arr): Float64Array {
  const { oh, ow } = convOut(g);
  const rows = g.c * g.kh * g.kw;
  const p = oh * ow;
  const col = new Float64Array(g.n * rows * p);
  for (let n = 0; n < g.n; n++)
    for (let c = 0; c < g.c; c++)
      for (let ki = 0; ki < g.kh; ki++)
        for (let kj = 0; kj < g.kw; kj++) {
          const r = (c * g.kh + ki) * g.kw + kj;
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++) {
              const yi = i * g.stride - g.pad + ki;
              const xj = j * g.stride - g.pad + kj;
              if (yi >= 0 && yi < g.h && xj >= 0 && xj < g.w) col[(n * rows + r) * p + i * ow + j] = x[((n * g.c + c) * g.h + yi) * g.w + xj];
            }
        }
  return col;
}

/** The adjoint of im2col: dx accumulates every column entry that came from it. */
export function col2im(g: ConvGeom, col: Arr): Float64Array {
  const { oh, ow } = convOut(g);
  const rows = g.c * g.kh * g.kw;
  const p = oh * ow;
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  for (let n = 0; n < g.n; n++)
    for (let c = 0; c < g.c; c++)
      for (let ki = 0; ki < g.kh; ki++)
        for (let kj = 0; kj < g.kw; kj++) {
          const r = (c * g.kh + ki) * g.kw + kj;
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++) {
              const yi = i * g.stride - g.pad + ki;
              const xj = j * g.stride - g.pad + kj;
              if (yi >= 0 && yi < g.h && xj >= 0 && xj < g.w) dx[((n * g.c + c) * g.h + yi) * g.w + xj] += col[(n * rows + r) * p + i * ow + j];
            }
        }
  return dx;
}
