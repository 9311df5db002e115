// The BatchNorm lab's drift over training: for the chosen layer, how far each measured batch's statistics were from
// the running ones (lib/bnDrift.ts, one point per histogram measurement), and the automatic re-measure that adds
// points while the BatchNorm lab is open and the run trains.
import { useEffect, useRef } from 'react';
import { layerDrift } from '../../lib/bnDrift';
import { useLab, type LabHistograms } from '../../store/lab';
import type { RunView } from '../../store/types';
import { LabChart, Legend } from './LabChart';

/** At most one automatic measurement per this many ms, however fast the run steps. */
const MIN_INTERVAL_MS = 5000;

/** Steps between automatic measurements: 10% of the run, at most 200. */
export const remeasureEvery = (totalSteps: number) => Math.max(1, Math.min(200, Math.ceil(0.1 * totalSteps)));

/**
 * Re-measures the layer last measured once the training run is `remeasureEvery` steps past that measurement. Only
 * while mounted (the BatchNorm lab tab is open) and after a first measurement chose the layer.
 */
export function useAutoRemeasure(
  run: RunView,
  live: boolean,
  res: LabHistograms | undefined,
  pending: boolean,
  measure: (layer: string) => void,
) {
  const last = useRef(0);
  const training = live && run.state === 'training';
  useEffect(() => {
    if (!training || !res || pending) return;
    if (run.step - res.step < remeasureEvery(run.totalSteps)) return;
    if (Date.now() - last.current < MIN_INTERVAL_MS) return;
    last.current = Date.now();
    measure(res.layer);
  }, [training, run.step, run.totalSteps, res, pending, measure]);
}

const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2));

interface Props {
  run: RunView;
  live: boolean;
  color: string;
  /** The last histogram measurement of the run (its layer is the one drawn and re-measured). */
  res: LabHistograms;
  pending: boolean;
  measure: (layer: string) => void;
}

export function BnDriftHistory({ run, live, color, res, pending, measure }: Props) {
  useAutoRemeasure(run, live, res, pending, measure);
  const layer = res.layer;
  const points = layerDrift(
    useLab((s) => s.drift[run.id]),
    layer,
  );
  if (points.length === 0) return null;
  // One label per measurement; a second one at the same step (after re-estimating the statistics, say) is told apart.
  const labels = points.map((p, i) => {
    const before = points.slice(0, i).filter((q) => q.step === p.step).length;
    return before ? `step ${p.step} (${before + 1})` : `step ${p.step}`;
  });
  const first = points[0].step;
  const last = points.at(-1)!.step;
  const when =
    points.length === 1
      ? `at step ${first}`
      : first === last
        ? `${points.length === 2 ? 'both' : 'all'} at step ${first}`
        : `steps ${first}–${last}`;
  return (
    <>
      {/* Half width, beside nothing: a handful of points need no more. */}
      <div className="lab-hists">
        <LabChart
          title={`${layer}: drift over training`}
          format={num}
          xLabels={labels}
          series={[
            { name: 'mean |batch mean − running mean|', color, values: points.map((p) => p.mean), labels },
            {
              name: 'mean |batch var − running var| / running var',
              color: '#64748b',
              values: points.map((p) => p.variance),
              labels,
              dashed: true,
            },
          ]}
          legend={
            <Legend
              items={[
                { name: '|batch mean − running mean|', color },
                { name: '|batch var − running var| / running var', color: '#64748b', dashed: true },
              ]}
            />
          }
        />
      </div>
      <p className="muted small" data-testid="bn-drift-history-caption">
        {points.length} measurement{points.length === 1 ? '' : 's'} of {layer}, {when}, each the mean over channels. While this tab is open
        and the run trains, it is measured again every {'~'}10% of the run (at most every 200 steps and 5 s).
      </p>
    </>
  );
}
