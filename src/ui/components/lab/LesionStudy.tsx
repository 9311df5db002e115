// Lesion study (Veit et al. 2016): the test error with one block removed at inference (its output becomes its
// shortcut), for each block, the runs overlaid with their unlesioned error as a dashed line. Measured on the GPU
// by graph variants built once per block (src/model/resnet.ts `lesion`, src/train/lab.ts).
import { labMeasure } from '../../actions';
import { pct } from '../../lib/format';
import { LabChart, Legend } from './LabChart';
import { archOf, labImages, listText, useLabResults } from './labRuns';

const IMAGES = 1000;

export function LesionStudy() {
  const { measured, pending, live } = useLabResults('lesion', (s) => s.lesion);
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
      {measured.length > 0 && (
        <>
          <LabChart
            title="Test error (%) with one block removed"
            format={(v) => `${v.toFixed(0)}%`}
            yMax={100}
            reference={{ y: 90, label: 'chance' }}
            series={series}
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
