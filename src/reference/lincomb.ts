// Float64 reference for src/kernels/lincomb.ts.
export function lincomb(base: ArrayLike<number>, d1: ArrayLike<number>, d2: ArrayLike<number>, a: number, b: number): Float64Array {
  return Float64Array.from(base, (x, i) => x + a * d1[i] + b * d2[i]);
}
