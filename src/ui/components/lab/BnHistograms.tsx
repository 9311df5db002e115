// The BatchNorm lab's histograms: one 3x3 layer's activations before BN (the convolution's output) and after it
// (normalised with the running statistics, then scaled by gamma and shifted by beta; before the ReLU), on a fixed
// batch of test images. Counted on the GPU (src/runtime/bnHistogram.ts); drawn here as plain SVG bars.
import { labMeasure } from '../../actions';
import type { LabHistogram } from '../../../train/protocol';
import { busyKey, useLab } from '../../store/lab';
import type { LabRun } from './labRuns';
import { LabChart, Legend } from './LabChart';
import { BnDriftHistory } from './BnDriftHistory';

const IMAGES = 64;
const BINS = 40;
const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2));

function Bars({ title, h, color }: { title: string; h: LabHistogram; color: string }) {
  const W = 270;
  const H = 120;
  const max = Math.max(1, ...h.counts);
  const bw = W / h.counts.length;
  return (
    <figure className="lab-chart" aria-label={`${title} histogram`}>
      <figcaption className="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H + 14}`} role="img" aria-label={`${title}: mean ${num(h.mean)}, std ${num(h.std)}`} width="100%">
        {h.counts.map((c, i) => (
          <rect
            key={i}
            className="lab-bar"
            x={i * bw + 0.5}
            y={H - (c / max) * H}
            width={Math.max(bw - 1, 0.5)}
            height={(c / max) * H}
            fill={color}
          >
            <title>{`[${num(h.lo + (i * (h.hi - h.lo)) / h.counts.length)}, ${num(h.lo + ((i + 1) * (h.hi - h.lo)) / h.counts.length)}): ${c}`}</title>
          </rect>
        ))}
        <text x={0} y={H + 12} fontSize={10} fill="#64748b">
          {num(h.lo)}
        </text>
        <text x={W} y={H + 12} fontSize={10} fill="#64748b" textAnchor="end">
          {num(h.hi)}
        </text>
      </svg>
      <span className="muted small">
        mean {num(h.mean)}, std {num(h.std)}
      </span>
    </figure>
  );
}

export function BnHistograms({ target }: { target: LabRun | undefined }) {
  const results = useLab((s) => s.histogram);
  const busy = useLab((s) => s.busy);
  if (!target) return <p className="muted small">Select a run to see its activations around a BN layer.</p>;
  const { run, color, live } = target;
  const res = results[run.id];
  const pending = !!busy[busyKey('histogram', run.id)];
  const measure = (layer: string) => labMeasure('histogram', run.id, { images: IMAGES, layer, bins: BINS });
  return (
    <div className="lab-group" role="group" aria-labelledby="bn-hist-title">
      <h3 id="bn-hist-title" className="small">
        Activations before and after BN: {run.name}
      </h3>
      <div className="lab-actions">
        {res ? (
          <label className="small">
            Layer{' '}
            <select aria-label="Layer" value={res.layer} disabled={!live || pending} onChange={(e) => measure(e.target.value)}>
              {res.layers.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <button type="button" className="small" disabled={!live || pending} onClick={() => measure(res?.layer ?? '')}>
          {pending ? 'Measuring…' : res ? 'Measure again' : 'Show histograms'}
        </button>
        {!live && <span className="muted small">Select a live run to measure it.</span>}
      </div>
      {res && (
        <>
          <div className="lab-hists">
            <Bars title={`${res.layer} before BN`} h={res.before} color="#94a3b8" />
            <Bars title={`${res.layer} after BN`} h={res.after} color={color} />
          </div>
          {res.channels && <Drift ch={res.channels} color={color} layer={res.layer} />}
          <BnDriftHistory run={run} live={live} color={color} res={res} pending={pending} measure={measure} />
          <p className="muted small" data-testid="bn-hist-caption">
            {res.images} test images at step {res.step}, BN in eval mode. Normalising subtracts the mean and divides by the std (mean 0,
            variance 1), then the learnt scale and shift set the spread and centre: here the activations go from mean {num(res.before.mean)}
            , std {num(res.before.std)} to mean {num(res.after.mean)}, std {num(res.after.std)}. In eval mode the running statistics do the
            normalising, so a drift between them and a batch’s own statistics shows as an output mean away from the learnt shift. The range
            is the mean ± 4 std; values beyond it are counted in the end bars.
          </p>
        </>
      )}
    </div>
  );
}

/** The batch statistics of the BN input per channel against the running ones, and how far apart they are. */
function Drift({
  ch,
  color,
  layer,
}: {
  ch: NonNullable<import('../../store/lab').LabHistograms['channels']>;
  color: string;
  layer: string;
}) {
  const c = ch.batchMean.length;
  const labels = Array.from({ length: c }, (_, k) => `channel ${k}`);
  const shift = ch.batchMean.reduce((s, m, k) => s + Math.abs(m - ch.runningMean[k]) / Math.sqrt(ch.runningVar[k] + 1e-5), 0) / c;
  const ratio = ch.batchVar.reduce((s, v, k) => s + v / ch.runningVar[k], 0) / c;
  const ends: [string, string] = ['channel 0', `channel ${c - 1}`];
  return (
    <>
      <div className="lab-hists">
        <LabChart
          title={`${layer}: batch vs running mean`}
          format={num}
          xEnds={ends}
          series={[
            { name: 'batch mean', color, values: ch.batchMean, labels },
            { name: 'running mean', color: '#64748b', values: ch.runningMean, labels, dashed: true },
          ]}
          legend={
            <Legend
              items={[
                { name: 'this batch', color },
                { name: 'running', color: '#64748b', dashed: true },
              ]}
            />
          }
        />
        <LabChart
          title={`${layer}: batch vs running variance`}
          format={num}
          xEnds={ends}
          series={[
            { name: 'batch variance', color, values: ch.batchVar, labels },
            { name: 'running variance', color: '#64748b', values: ch.runningVar, labels, dashed: true },
          ]}
        />
      </div>
      <p className="muted small" data-testid="bn-drift-caption">
        Drift: the batch means sit {num(shift)} running standard deviations from the running means on average, and the batch variances are{' '}
        {num(ratio)}× the running ones. Near 0 and 1 the running statistics describe what the layer sees; far from them, eval-mode BN
        normalises with the wrong numbers.
      </p>
    </>
  );
}
