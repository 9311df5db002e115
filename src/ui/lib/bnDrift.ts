// The BatchNorm lab's drift over training: each histogram measurement with per-channel statistics
// ('labHistogram' with channels) becomes one point of its run's history, so the distance between a batch's
// statistics and the running ones can be followed as the run trains. Pure, for the lab store's reducer.

export interface DriftPoint {
  step: number;
  layer: string;
  /** Mean over channels of |batch mean - running mean|. */
  mean: number;
  /** Mean over channels of |batch variance - running variance| / running variance. */
  variance: number;
}

/** Points kept per run: the oldest go first (an automatic re-measure every 200 steps fills this in 40k steps). */
export const DRIFT_CAP = 200;

export function driftPoint(
  step: number,
  layer: string,
  ch: { batchMean: number[]; batchVar: number[]; runningMean: number[]; runningVar: number[] },
): DriftPoint {
  const c = ch.batchMean.length;
  let mean = 0;
  let variance = 0;
  for (let k = 0; k < c; k++) {
    mean += Math.abs(ch.batchMean[k] - ch.runningMean[k]);
    variance += Math.abs(ch.batchVar[k] - ch.runningVar[k]) / ch.runningVar[k];
  }
  return { step, layer, mean: c ? mean / c : 0, variance: c ? variance / c : 0 };
}

/** The history with `p` appended in measurement order (every measurement is kept, also two at one step), capped. */
export function appendDrift(history: readonly DriftPoint[], p: DriftPoint, cap = DRIFT_CAP): DriftPoint[] {
  const out = [...history, p];
  return out.length > cap ? out.slice(out.length - cap) : out;
}

/** One layer's points, for the chart. */
export const layerDrift = (history: readonly DriftPoint[] | undefined, layer: string) => (history ?? []).filter((p) => p.layer === layer);
