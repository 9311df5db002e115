// Degradation, swept: queues plain and residual nets at several depths, trains them one after another, and
// plots their final errors against depth next to the paper's. The sweep survives reloads (sweepStore.ts).
import { lazy, Suspense, useState } from 'react';
import { download } from '../../lib/exportRun';
import { PAPER_RECIPE } from '../../lib/formConfig';
import { useApp } from '../../store';
import { Panel, Segmented } from '../controls';
import { depthFindings, findingText, isFinished, PAPER_DEPTHS, sweepCsv, TABLE6_RESNET, type Sweep } from './sweep';
import { useSweep } from './sweepStore';

const SweepChart = lazy(() => import('./SweepChart'));

/** Depths from "20, 32, 44" (6n+2 only; others are dropped). */
export const parseDepths = (text: string) => [
  ...new Set(
    text
      .split(/[\s,;]+/)
      .map(Number)
      .filter((d) => Number.isInteger(d) && d >= 8 && (d - 2) % 6 === 0),
  ),
];

const pct = (v: number | undefined) => (v === undefined ? '—' : `${(100 * v).toFixed(2)}%`);

export function SweepPanel() {
  const form = useApp((s) => s.form);
  const dataReady = useApp((s) => s.engine.status === 'ready' && s.data.status === 'ready');
  const { sweep, start, stop, clear } = useSweep();
  const [depthText, setDepthText] = useState(PAPER_DEPTHS.join(', '));
  const [recipe, setRecipe] = useState<'paper' | 'form'>('form');
  const depths = parseDepths(depthText);
  const begin = () => start(`s${Date.now().toString(36)}`, recipe === 'paper' ? { ...PAPER_RECIPE, width: form.width } : form, depths);
  const running = sweep && !isFinished(sweep) && sweep.active;

  return (
    <Panel title="Depth sweep" className="story-panel sweep-panel">
      <p className="muted">
        He et al. (2015, Sec. 4.2 and Fig. 6) report that on CIFAR-10 deeper plain nets have higher training error than shallower ones
        (plain-56 above plain-20), while deeper residual nets have lower. The sweep trains both families at each depth, one run after
        another, and plots where yours end.
      </p>
      <div className="form-grid">
        <div className="field">
          <label className="field-label" htmlFor="sweep-depths">
            Sweep depths
          </label>
          <input id="sweep-depths" value={depthText} onChange={(e) => setDepthText(e.target.value)} />
          <span className="hint">6n+2: 20, 32, 44, 56 as in the paper (110 optional)</span>
        </div>
        <Segmented
          label="Schedule"
          value={recipe}
          options={[
            { value: 'paper', label: 'Paper (64k steps)', title: 'Batch 128, lr 0.1 ÷10 at 32k and 48k, 64k steps: hours per run' },
            {
              value: 'form',
              label: 'As in the form',
              title: `The run settings of the form: ${form.lengthUnit === 'steps' ? `${form.length} steps` : `${form.length} epochs`}, batch ${form.batch}, width ${form.width}`,
            },
          ]}
          onChange={setRecipe}
        />
      </div>
      <div className="sweep-actions">
        <button
          type="button"
          className="primary"
          disabled={depths.length === 0 || !!running || !dataReady}
          title={dataReady ? undefined : 'Load the data first (Data panel)'}
          onClick={begin}
        >
          Start sweep
        </button>
        {!dataReady && !running && <span className="muted small">Load the data first.</span>}
        {running && (
          <button type="button" onClick={stop}>
            Stop sweep
          </button>
        )}
        {sweep && (
          <>
            <button type="button" onClick={() => download('depth-sweep.csv', sweepCsv(sweep), 'text/csv')}>
              Export sweep CSV
            </button>
            <button type="button" onClick={clear} disabled={!!running}>
              Clear sweep
            </button>
          </>
        )}
      </div>
      {sweep && (
        <>
          <table className="sweep-table" aria-label="Sweep runs">
            <thead>
              <tr>
                <th>net</th>
                <th>status</th>
                <th>train error</th>
                <th>test error</th>
                <th>paper</th>
              </tr>
            </thead>
            <tbody>
              {sweep.entries.map((e) => (
                <tr key={`${e.family}-${e.depth}`} data-testid="sweep-entry" data-status={e.status}>
                  <td>
                    {e.family === 'residual' ? 'resnet' : 'plain'}-{e.depth}
                  </td>
                  <td title={e.error}>{e.status}</td>
                  <td>{pct(e.trainErr)}</td>
                  <td>{pct(e.testErr)}</td>
                  <td>{e.family === 'residual' && TABLE6_RESNET[e.depth] !== undefined ? `${TABLE6_RESNET[e.depth]}%` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <SweepFindings sweep={sweep} />
          <figure className="sweep-chart" role="figure" aria-label="Error against depth chart">
            <Suspense fallback={<p className="muted">Loading chart…</p>}>
              <SweepChart sweep={sweep} />
            </Suspense>
          </figure>
        </>
      )}
    </Panel>
  );
}

/** What the user's sweep shows, from its finished entries only (training error over each run's last tenth of steps). */
function SweepFindings({ sweep }: { sweep: Sweep }) {
  const findings = depthFindings(sweep);
  if (findings.length === 0) return <p className="muted small">Your sweep: no family has two finished depths yet.</p>;
  return (
    <p className="muted small" data-testid="sweep-findings">
      Your sweep: {findings.map(findingText).join(' ')} ± one standard error from the spread of each run’s per-batch errors; within two it
      is batch noise.
    </p>
  );
}
