// Loss landscape (Li et al. 2018): the training loss on a fixed set of batches along the straight line from the
// initial to the current weights (1-D), and on a grid around the current weights along two filter-normalised random
// directions (2-D heat map), plain and residual side by side. Evaluated on the GPU by the worker on a scratch copy
// of each network (src/runtime/landscape.ts); a progress bar and Cancel while it runs.
import { useState } from 'react';
import { labCancel, labMeasure } from '../../actions';
import { busyKey, useLab, type LabLandscape } from '../../store/lab';
import { LabChart, Legend } from './LabChart';
import { listText, useLabRuns } from './labRuns';

const BATCHES = 2;
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));

/** Low loss dark blue, high loss yellow, on a log scale between the map's min and max. */
function heat(v: number, lo: number, hi: number): string {
  if (!Number.isFinite(v)) return '#e2e8f0';
  const t = hi > lo ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : 0;
  return `hsl(${(240 - 190 * t).toFixed(0)}, 80%, ${(22 + 50 * t).toFixed(0)}%)`;
}

function HeatMap({ name, res }: { name: string; res: LabLandscape }) {
  const n = res.coords.length;
  const finite = res.losses.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const S = 200;
  const c = S / n;
  const centre = res.losses[Math.floor(n / 2) * n + Math.floor(n / 2)];
  return (
    <figure className="lab-chart" aria-label={`${name} loss landscape heat map`}>
      <figcaption className="chart-title">{name}</figcaption>
      <svg
        viewBox={`0 0 ${S} ${S}`}
        role="img"
        aria-label={`${name}: loss ${fmt(lo)} to ${fmt(hi)} over the grid, ${fmt(centre)} at the current weights`}
        width="100%"
        style={{ maxWidth: 260 }}
      >
        {res.losses.map((v, i) => (
          <rect
            key={i}
            className="lab-cell"
            x={(i % n) * c}
            y={(n - 1 - Math.floor(i / n)) * c}
            width={c + 0.3}
            height={c + 0.3}
            fill={heat(v, lo, hi)}
          >
            <title>{`a ${fmt(res.coords[i % n])}, b ${fmt(res.coords[Math.floor(i / n)])}: loss ${Number.isFinite(v) ? fmt(v) : 'not measured'}`}</title>
          </rect>
        ))}
        <circle cx={S / 2} cy={S / 2} r={3} fill="none" stroke="#fff" strokeWidth={1.5} />
      </svg>
      <span className="muted small">
        loss {fmt(lo)} (dark) to {fmt(hi)} (light), log scale; ○ current weights
      </span>
    </figure>
  );
}

export function LossLandscape() {
  const runs = useLabRuns();
  const results = useLab((s) => s.landscape);
  const progress = useLab((s) => s.progress);
  const busy = useLab((s) => s.busy);
  const [size, setSize] = useState(21);
  const live = runs.filter((r) => r.live);
  const pending = runs.filter((r) => busy[busyKey('landscape', r.run.id)]);
  const prog = pending.map((r) => progress[busyKey('landscape', r.run.id)]).filter(Boolean);
  const done = prog.reduce((s, p) => s + p.done, 0);
  const total = prog.reduce((s, p) => s + p.total, 0);
  const valid = Number.isInteger(size) && size >= 3 && size <= 41;
  const start = (mode: '1d' | '2d') => live.forEach((r) => labMeasure('landscape', r.run.id, { images: 0, mode, size, batches: BATCHES }));
  const one = runs.filter((r) => results[r.run.id]?.['1d']).map((r) => ({ ...r, res: results[r.run.id]['1d']! }));
  const two = runs.filter((r) => results[r.run.id]?.['2d']).map((r) => ({ ...r, res: results[r.run.id]['2d']! }));
  return (
    <div className="lab-body">
      <div className="lab-actions">
        <label className="small">
          Points per axis{' '}
          <input type="number" min={3} max={41} value={size} onChange={(e) => setSize(Number(e.target.value))} style={{ width: '4em' }} />
        </label>
        <button type="button" className="small" disabled={live.length === 0 || pending.length > 0 || !valid} onClick={() => start('1d')}>
          1-D: initial → current weights
        </button>
        <button type="button" className="small" disabled={live.length === 0 || pending.length > 0 || !valid} onClick={() => start('2d')}>
          2-D: two random directions ({size}×{size})
        </button>
        {pending.length > 0 && (
          <>
            <progress aria-label="Loss landscape progress" max={Math.max(total, 1)} value={done} />
            <span className="small num">
              {done} / {total || '…'} points
            </span>
            <button type="button" className="small" onClick={() => pending.forEach((r) => labCancel(r.run.id))}>
              Cancel
            </button>
          </>
        )}
      </div>
      <p className="muted small">
        {live.length === 0
          ? 'Select a live run.'
          : `For ${listText(live.map((r) => r.run.name))}: the mean training loss on ${BATCHES} fixed training batches, BN with batch statistics, on a copy of each network (training goes on).`}
      </p>
      {one.length > 0 && (
        <>
          <LabChart
            title="Loss from the initial (0) to the current (1) weights"
            format={fmt}
            xEnds={[`a = ${fmt(one[0].res.coords[0])}`, `a = ${fmt(one[0].res.coords.at(-1)!)}`]}
            series={one.map((m) => ({
              name: m.run.name,
              color: m.color,
              values: m.res.losses.map((v) => (Number.isFinite(v) ? v : null)),
              labels: m.res.coords.map((a) => `a = ${fmt(a)}`),
            }))}
            legend={<Legend items={one.map((m) => ({ name: `${m.run.name} (step ${m.res.step})`, color: m.color }))} />}
          />
          <p className="muted small" data-testid="landscape-1d-caption">
            {listText(
              one.map((m) => {
                // the grid points nearest to the initial (a = 0) and the current (a = 1) weights
                const near = (a: number) =>
                  m.res.coords.reduce((best, x, i) => (Math.abs(x - a) < Math.abs(m.res.coords[best] - a) ? i : best), 0);
                const [i0, i1] = [near(0), near(1)];
                const path = m.res.losses.slice(i0, i1 + 1);
                const bump = path.some((v, i) => i > 0 && v > path[i - 1] * 1.01);
                const at = (i: number) => `${fmt(m.res.losses[i])} at a = ${fmt(m.res.coords[i])}`;
                return `${m.run.name}: ${at(i0)} (start), ${at(i1)} (now), ${bump ? 'with a bump on the way' : 'falling all the way'}`;
              }),
            )}
            . Goodfellow et al. (2015) find that for the nets they studied the loss usually falls monotonically along this straight path.
          </p>
        </>
      )}
      {two.length > 0 && (
        <>
          <div className="lab-hists">
            {two.map((m) => (
              <HeatMap key={m.run.id} name={`${m.run.name} (step ${m.res.step})${m.res.cancelled ? ', cancelled' : ''}`} res={m.res} />
            ))}
          </div>
          <p className="muted small" data-testid="landscape-2d-caption">
            Li et al. (2018) find that skip connections keep the landscape smooth and nearly convex around the minimum, while deep plain
            nets’ landscapes turn chaotic, which makes them hard to train. A shallow net or an early step shows little of this difference.
          </p>
        </>
      )}
    </div>
  );
}
