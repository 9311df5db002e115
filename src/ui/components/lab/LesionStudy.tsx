// Lesion study (Veit et al. 2016): the test error with one block removed at inference (its output becomes its
// shortcut), for each block, the runs overlaid with their unlesioned error as a dashed line. Measured on the GPU
// by graph variants built once per block (src/model/resnet.ts `lesion`, src/train/lab.ts).
import { labMeasure } from '../../actions';
import { pct } from '../../lib/format';
import { busyKey, useLab } from '../../store/lab';
import { LabChart, Legend } from './LabChart';
import { archOf, labImages, listText, useLabResults, type LabRun } from './labRuns';

const IMAGES = 1000;

/** Where each run of the study stands while it is measured: a pass over the images per block, after the whole net's. */
function LesionProgress({ runs }: { runs: LabRun[] }) {
  const busy = useLab((s) => s.busy);
  const progress = useLab((s) => s.progress);
  const results = useLab((s) => s.lesion);
  const asked = runs.filter((r) => busy[busyKey('lesion', r.run.id)] || results[r.run.id]);
  return (
    <ul className="lab-progress small" aria-label="Lesion study progress" data-testid="lesion-progress">
      {asked.map((r) => {
        const p = progress[busyKey('lesion', r.run.id)];
        const pending = !!busy[busyKey('lesion', r.run.id)];
        const res = results[r.run.id];
        return (
          <li key={r.run.id}>
            <i className="swatch" style={{ background: r.color }} aria-hidden /> {r.run.name}:{' '}
            {!pending && res
              ? `measured at step ${res.step} (the whole net and ${res.blocks.length} blocks removed one at a time)`
              : p
                ? `${p.done} of ${p.total} passes (the whole net, then each block removed)`
                : 'waiting for the GPU'}
            {pending && <progress max={p?.total ?? 1} value={p?.done ?? 0} aria-label={`${r.run.name} lesion passes`} />}
          </li>
        );
      })}
    </ul>
  );
}

export function LesionStudy() {
  const { runs, measured, pending, live } = useLabResults('lesion', (s) => s.lesion);
  // Block names under the points where every run has the same blocks (a pair); else the axis runs input to output.
  const sameBlocks = measured.every((m) => m.res.blocks.length === measured[0]?.res.blocks.length);
  const series = measured.flatMap((m) => [
    {
      name: m.run.name,
      color: m.color,
      values: m.res.blocks.map((b) => b.error * 100),
      labels: m.res.blocks.map((b) => `without ${b.name}`),
    },
    {
      name: `${m.run.name} whole`,
      color: m.color,
      values: m.res.blocks.map(() => m.res.baselineError * 100),
      labels: m.res.blocks.map(() => 'no block removed'),
      dashed: true,
    },
  ]);
  return (
    <div className="lab-body">
      <div className="lab-actions">
        <button
          type="button"
          className="small"
          disabled={live.length === 0 || pending}
          onClick={() => live.forEach((r) => labMeasure('lesion', r.run.id, { images: labImages(r.run, IMAGES) }))}
        >
          {pending ? 'Removing blocks…' : 'Remove each block in turn'}
        </button>
        <span className="muted small">
          {live.length === 0
            ? 'Select a live run to study.'
            : `Studies ${listText(live.map((r) => r.run.name))}, BN in eval mode, on the run’s evaluation images (${IMAGES} when it evaluates on the whole split).`}
        </span>
      </div>
      {(pending || measured.length > 0) && <LesionProgress runs={runs} />}
      {measured.length > 0 && (
        <>
          <LabChart
            title="Test error (%) with one block removed"
            format={(v) => `${v.toFixed(0)}%`}
            yMax={100}
            reference={{ y: 90, label: 'chance' }}
            series={series}
            xLabels={sameBlocks ? measured[0].res.blocks.map((b) => b.name) : undefined}
            legend={
              <Legend
                items={measured.flatMap((m) => [
                  { name: `${m.run.name}, block removed`, color: m.color },
                  { name: `${m.run.name}, whole net`, color: m.color, dashed: true },
                ])}
              />
            }
          />
          <p className="muted small" data-testid="lesion-caption">
            Your runs:{' '}
            {listText(
              measured.map((m) => {
                const errs = m.res.blocks.map((b) => b.error);
                const mean = errs.reduce((a, b) => a + b, 0) / Math.max(1, errs.length);
                return `${m.run.name} (${archOf(m.run) ?? 'net'}, step ${m.res.step}, ${m.res.images} test images) test error ${pct(m.res.baselineError)} whole, ${pct(mean)} on average and ${pct(Math.max(...errs))} at worst with a block removed`;
              }),
            )}
            . Veit et al. (2016) find that residual nets degrade gracefully when one block is removed (they behave like ensembles of many
            shorter paths), while removing a layer from a plain net makes it collapse to chance (90% error on CIFAR-10).
          </p>
        </>
      )}
    </div>
  );
}
