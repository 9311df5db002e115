// Chart series derived from a run's points, cached per (points array, smoothing) so a re-render that
// did not bring new points for a run costs nothing.
import type { EvalPoint, MetricPoint } from '../../train/protocol';
import { bucket, smooth } from './series';

const MAX_POINTS = 400;

export interface LossPoint {
  x: number;
  raw: number;
  smooth: number;
}
export interface ValuePoint {
  x: number;
  v: number;
}
export interface TestPoint extends ValuePoint {
  images: number;
}

interface Derived {
  smoothing: number;
  loss: LossPoint[];
  trainErr: ValuePoint[];
  lr: ValuePoint[];
  /** Smoothed training error at the last step, in [0, 1]. */
  lastTrainErr?: number;
}

const cache = new WeakMap<readonly MetricPoint[], Derived>();

export function metricSeries(points: readonly MetricPoint[], smoothing: number): Derived {
  const hit = cache.get(points);
  if (hit && hit.smoothing === smoothing) return hit;
  const sl = smooth(
    points.map((p) => p.trainLoss),
    smoothing,
  );
  const se = smooth(
    points.map((p) => 1 - p.trainAcc),
    smoothing,
  );
  const loss = bucket(
    points.map((p, i) => ({ x: p.step, raw: p.trainLoss, smooth: sl[i] })),
    MAX_POINTS,
    ['raw', 'smooth'],
  );
  const trainErr = bucket(
    points.map((p, i) => ({ x: p.step, v: se[i] * 100 })),
    MAX_POINTS,
    ['v'],
  );
  const lr = bucket(
    points.map((p) => ({ x: p.step, v: p.lr })),
    MAX_POINTS,
    ['v'],
  );
  const d: Derived = { smoothing, loss, trainErr, lr, lastTrainErr: se.at(-1) };
  cache.set(points, d);
  return d;
}

const evalCache = new WeakMap<readonly EvalPoint[], Record<'eval' | 'train', TestPoint[]>>();

/** Test error (%) per evaluation, split by the BN mode it was measured with. */
export function testSeries(evals: readonly EvalPoint[]): Record<'eval' | 'train', TestPoint[]> {
  const hit = evalCache.get(evals);
  if (hit) return hit;
  const out: Record<'eval' | 'train', TestPoint[]> = { eval: [], train: [] };
  for (const e of evals) if (e.split === 'test') out[e.bnMode].push({ x: e.step, v: (1 - e.accuracy) * 100, images: e.images });
  for (const k of ['eval', 'train'] as const) out[k].sort((a, b) => a.x - b.x);
  evalCache.set(evals, out);
  return out;
}

/**
 * The loss axis' top: the 98th percentile of the shown runs' per-step losses, plus a fifth, so that one spike (a
 * diverging step, a restart) does not flatten every curve; undefined (the axis fits everything) with no points. It
 * never cuts the smoothed curves' last values, which the readouts quote.
 */
export function lossAxisTop(series: readonly { raw: readonly number[]; last: number }[]): number | undefined {
  const all = series.flatMap((s) => s.raw.filter(Number.isFinite));
  if (all.length === 0) return undefined;
  const sorted = [...all].sort((a, b) => a - b);
  const p98 = sorted[Math.min(sorted.length - 1, Math.floor(0.98 * sorted.length))];
  const lasts = series.map((s) => s.last).filter(Number.isFinite);
  return Math.max(p98 * 1.2, ...lasts);
}
