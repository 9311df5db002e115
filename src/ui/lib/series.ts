// Turning metric points into chart series: exponential smoothing (debiased, as TensorBoard does) and
// bucketing long runs down to a few hundred points so recharts stays fast.

/** Debiased exponential moving average of `values` with weight `w` in [0, 1). */
export function smooth(values: readonly number[], w: number): number[] {
  const out = new Array<number>(values.length);
  let acc = 0;
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    acc = w * acc + (1 - w) * v;
    norm = w * norm + (1 - w);
    out[i] = acc / norm;
  }
  return out;
}

/**
 * At most `max` points: consecutive points are averaged in equal buckets of the x range (the last point
 * of a run is always kept as it is, so the curve ends where the run is).
 */
export function bucket<T extends { x: number }>(points: readonly T[], max: number, keys: readonly (keyof T)[]): T[] {
  if (points.length <= max) return points.slice();
  const out: T[] = [];
  const per = points.length / max;
  for (let b = 0; b < max; b++) {
    const from = Math.floor(b * per);
    const to = b === max - 1 ? points.length - 1 : Math.floor((b + 1) * per);
    if (to <= from) continue;
    const p = { ...points[to - 1] };
    for (const k of keys) {
      let s = 0;
      let n = 0;
      for (let i = from; i < to; i++) {
        const v = points[i][k] as unknown as number;
        if (Number.isFinite(v)) {
          s += v;
          n++;
        }
      }
      (p as Record<keyof T, unknown>)[k] = n ? s / n : NaN;
    }
    out.push(p);
  }
  out.push(points[points.length - 1]);
  return out;
}
