// Float64 reference for the histogram (src/kernels/histogram.ts): the same bin rule, with lo and the bin scale
// rounded to float32 as the kernel receives them.
export function histogram(x: ArrayLike<number>, bins: number, lo: number, hi: number): number[] {
  const l = Math.fround(lo);
  const scale = Math.fround(bins / (hi - lo));
  const out = new Array<number>(bins).fill(0);
  for (let i = 0; i < x.length; i++) out[Math.min(bins - 1, Math.max(0, Math.floor((x[i] - l) * scale)))]++;
  return out;
}

/** Values whose bin could differ by float32 rounding (within `tol` bins of an edge inside the range). */
export function nearEdges(x: ArrayLike<number>, bins: number, lo: number, hi: number, tol = 1e-4): number {
  const l = Math.fround(lo);
  const scale = Math.fround(bins / (hi - lo));
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const t = (x[i] - l) * scale;
    if (t > -tol && t < bins + tol && Math.abs(t - Math.round(t)) < tol) n++;
  }
  return n;
}
