// BatchNorm lab: the test accuracy with BN in eval mode (running statistics) vs train mode (each batch's own
// statistics), linked to the BatchNorm panel; "Re-estimate BN statistics" (the running statistics recomputed as
// the average over N training batches, weights unchanged: src/runtime/bnReestimate.ts) with the accuracy before
// and after; and a small-batch preset, where running statistics drift from what a batch sees.
import { useState } from 'react';
import { labMeasure } from '../../actions';
import { pct } from '../../lib/format';
import { useApp } from '../../store';
import { busyKey, useLab } from '../../store/lab';
import { latestTestAcc } from '../RunList';
import { labImages, listText, useLabRuns } from './labRuns';
import { BnHistograms } from './BnHistograms';

const IMAGES = 1000;
const SMALL_BATCH = 2;

export function BatchNormLab() {
  const runs = useLabRuns();
  const results = useLab((s) => s.bn);
  const busy = useLab((s) => s.busy);
  const setForm = useApp((s) => s.setForm);
  const formBatch = useApp((s) => s.form.batch);
  const selectedId = useApp((s) => s.selectedId);
  const [batches, setBatches] = useState(20);
  const live = runs.filter((r) => r.live);
  const pending = runs.some((r) => busy[busyKey('bn', r.run.id)]);
  const measured = runs.filter((r) => results[r.run.id]).map((r) => ({ ...r, res: results[r.run.id] }));
  const valid = Number.isInteger(batches) && batches >= 1 && batches <= 500;

  return (
    <div className="lab-body">
      <p className="small">
        Test accuracy with BN in eval mode (running statistics) and in train mode (each batch’s own statistics), as last measured:{' '}
        {runs.length === 0
          ? 'select a run.'
          : listText(
              runs.map(({ run }) => {
                const e = latestTestAcc(run, 'eval');
                const t = latestTestAcc(run, 'train');
                return `${run.name} test accuracy ${pct(e?.accuracy)} in BN eval mode / ${pct(t?.accuracy)} in BN train mode`;
              }),
            )}
        . Measure both in <a href="#bn-title">BatchNorm at test time</a>.
      </p>
      <BnHistograms target={runs.find((r) => r.run.id === selectedId) ?? runs[0]} />
      <div role="group" aria-labelledby="bn-reestimate-title" className="lab-group">
        <h3 id="bn-reestimate-title" className="small">
          Re-estimate BN statistics
        </h3>
        <p className="muted small">
          Replaces every BN layer’s running mean and variance with their average over N training batches (un-augmented, the run’s batch
          size), weights unchanged, then measures the test accuracy again on the run’s evaluation images ({IMAGES} when it evaluates on the
          whole split). Changes the run’s statistics.
        </p>
        <div className="lab-actions">
          <label className="small">
            Batches{' '}
            <input
              type="number"
              min={1}
              max={500}
              value={batches}
              onChange={(e) => setBatches(Number(e.target.value))}
              style={{ width: '5em' }}
            />
          </label>
          <button
            type="button"
            className="small"
            disabled={live.length === 0 || pending || !valid}
            onClick={() => live.forEach((r) => labMeasure('bn', r.run.id, { images: labImages(r.run, IMAGES), batches }))}
          >
            {pending ? 'Re-estimating…' : 'Re-estimate BN statistics'}
          </button>
        </div>
        {measured.length > 0 && (
          <table className="lab-table" data-testid="bn-reestimate-result">
            <thead>
              <tr>
                <th scope="col">run</th>
                <th scope="col">batches</th>
                <th scope="col">test accuracy, eval BN before</th>
                <th scope="col">test accuracy, eval BN after</th>
                <th scope="col">test accuracy, train BN</th>
              </tr>
            </thead>
            <tbody>
              {measured.map(({ run, color, res }) => (
                <tr key={run.id}>
                  <th scope="row">
                    <i className="swatch" style={{ background: color }} /> {run.name} <span className="muted">step {res.step}</span>
                  </th>
                  <td>{res.batches}</td>
                  <td>{pct(res.before.eval)}</td>
                  <td>
                    <b>{pct(res.after.eval)}</b> ({res.after.eval >= res.before.eval ? '+' : ''}
                    {((res.after.eval - res.before.eval) * 100).toFixed(1)} pts)
                  </td>
                  <td>{pct(res.after.train)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="lab-actions">
        <button type="button" className="small" onClick={() => setForm({ batch: SMALL_BATCH })} disabled={formBatch === SMALL_BATCH}>
          Small-batch preset (batch {SMALL_BATCH})
        </button>
        <span className="muted small">
          With 1–4 images per batch the batch statistics are noisy and the running averages drift from them: train-mode and eval-mode
          accuracy part ways, and re-estimating the statistics from many batches closes much of the gap. Sets the form’s batch size; then
          train a run.
        </span>
      </div>
    </div>
  );
}
