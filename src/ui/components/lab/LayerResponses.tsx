// Layer responses (He et al. 2015, Fig. 7): the std of each 3x3 layer's response (after BN, before ReLU or the
// addition) on a fixed batch of test images, the runs overlaid, and each residual block's ||F(x)|| / ||x||.
// The worker measures them on the GPU (src/train/lab.ts); the caption says what the user's runs show.
import { labMeasure } from '../../actions';
import type { LabResponses } from '../../store/lab';
import { LabChart, Legend } from './LabChart';
import { archOf, listText, useLabResults, type LabRun } from './labRuns';

const IMAGES = 64;
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);

export function LayerResponses() {
  const { runs, measured, pending, live } = useLabResults('responses', (s) => s.responses);
  const residual = measured.filter((m) => m.res.blocks.length > 0);
  return (
    <div className="lab-body">
      <div className="lab-actions">
        <button
          type="button"
          className="small"
          disabled={live.length === 0 || pending}
          onClick={() => live.forEach((r) => labMeasure('responses', r.run.id, { images: IMAGES }))}
        >
          {pending ? 'Measuring…' : `Measure on ${IMAGES} test images`}
        </button>
        <span className="muted small">
          {runs.length === 0
            ? 'Select a run.'
            : live.length === 0
              ? 'Select a live run (or load its checkpoint) to measure it.'
              : `Measures ${listText(live.map((r) => r.run.name))}, BN in eval mode.`}
        </span>
      </div>
      {measured.length > 0 && (
        <>
          <LabChart
            title="Std of each 3x3 layer’s response"
            format={fmt}
            series={measured.map((m) => ({
              name: m.run.name,
              color: m.color,
              values: m.res.layers.map((l) => l.std),
              labels: m.res.layers.map((l) => l.name),
            }))}
            legend={<Legend items={measured.map((m) => ({ name: `${m.run.name} (step ${m.res.step})`, color: m.color }))} />}
          />
          {residual.length > 0 && (
            <LabChart
              title="||F(x)|| / ||x|| per residual block"
              format={fmt}
              series={residual.map((m) => ({
                name: m.run.name,
                color: m.color,
                values: m.res.blocks.map((b) => b.ratio),
                labels: m.res.blocks.map((b) => b.name),
              }))}
            />
          )}
          <p className="muted small" data-testid="responses-caption">
            {caption(measured)} He et al. (2015, Fig. 7) find the responses of residual functions generally closer to zero than those of
            plain layers, and smaller in deeper residual nets: each block only nudges its input, as if an identity mapping were a good
            starting point.
          </p>
        </>
      )}
    </div>
  );
}

function caption(measured: (LabRun & { res: LabResponses })[]): string {
  const stds = measured.map((m) => ({
    name: m.run.name,
    arch: archOf(m.run),
    std: mean(m.res.layers.map((l) => l.std)),
    ratio: mean(m.res.blocks.map((b) => b.ratio)),
    blocks: m.res.blocks.length,
  }));
  const parts = stds.map((s) => `${s.name}: mean response std ${fmt(s.std)}${s.blocks ? `, mean ||F(x)||/||x|| ${fmt(s.ratio)}` : ''}`);
  let verdict = '';
  const res = stds.find((s) => s.arch === 'residual');
  const plain = stds.find((s) => s.arch === 'plain');
  if (res && plain) {
    verdict =
      res.std < plain.std
        ? ` The residual net’s responses are smaller than the plain net’s (${fmt(res.std / plain.std)}×), as in the paper.`
        : ` Here the residual net’s responses are not smaller than the plain net’s (${fmt(res.std / plain.std)}×), unlike the paper’s fully trained 20- to 110-layer nets.`;
  }
  return `Your runs: ${listText(parts)}.${verdict}`;
}
