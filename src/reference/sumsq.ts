// Float64 reference for the sum of squares (src/kernels/sumsq.ts): the norms the trainer reports.
type Arr = ArrayLike<number>;

export function sumSquares(x: Arr): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
