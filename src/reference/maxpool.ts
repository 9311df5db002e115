// Float64 reference for max pooling (src/kernels/maxpool.ts): PyTorch's MaxPool2d (ceil_mode off). A window's
// winner is its first largest value in row-major order; padded cells are never picked; the gradient of an
// output goes to its winner, summed where windows overlap.
import { maxPoolOut, type MaxPoolShape } from '../geometry';

type Arr = ArrayLike<number>;

/** The flat index within its plane of window (oy, ox)'s winner, in plane x[base ..]. */
function winner(s: MaxPoolShape, x: Arr, base: number, oy: number, ox: number): number {
  let at = -1;
  for (let ky = 0; ky < s.k; ky++) {
    const iy = oy * s.stride - s.pad + ky;
    if (iy < 0 || iy >= s.h) continue;
    for (let kx = 0; kx < s.k; kx++) {
      const ix = ox * s.stride - s.pad + kx;
      if (ix < 0 || ix >= s.w) continue;
      const j = iy * s.w + ix;
      if (at < 0 || x[base + j] > x[base + at]) at = j;
    }
  }
  return at;
}

export function maxPool(s: MaxPoolShape, x: Arr): Float64Array {
  const { oh, ow } = maxPoolOut(s);
  const y = new Float64Array(s.n * s.c * oh * ow);
  for (let plane = 0; plane < s.n * s.c; plane++) {
    const base = plane * s.h * s.w;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) y[(plane * oh + oy) * ow + ox] = x[base + winner(s, x, base, oy, ox)];
  }
  return y;
}

/** dx from dy [n, c, oh, ow] and the forward input x. */
export function maxPoolBackward(s: MaxPoolShape, dy: Arr, x: Arr): Float64Array {
  const { oh, ow } = maxPoolOut(s);
  const dx = new Float64Array(s.n * s.c * s.h * s.w);
  for (let plane = 0; plane < s.n * s.c; plane++) {
    const base = plane * s.h * s.w;
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) dx[base + winner(s, x, base, oy, ox)] += dy[(plane * oh + oy) * ow + ox];
  }
  return dx;
}
