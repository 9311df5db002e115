// Where the time goes: the GPU time of each kernel of one forward + backward pass (timestamp queries, measured by
// the worker: src/runtime/labProfile.ts), summed by op kind or by layer, with the step's multiply-adds and the
// run's GPU memory. Adapters without timestamp queries get a sentence saying so instead of bars.
import { useState } from 'react';
import { labMeasure } from '../../actions';
import { bytes } from '../../lib/format';
import { groupTimes } from '../../lib/profileGroups';
import { countFlops, formatCount } from '../../../model/counts';
import { busyKey, useLab } from '../../store/lab';
import { Segmented } from '../controls';
import { useApp } from '../../store';
import { useLabRuns } from './labRuns';

export function KernelProfile() {
  const runs = useLabRuns();
  const selectedId = useApp((s) => s.selectedId);
  const target = runs.find((r) => r.run.id === selectedId) ?? runs[0];
  const results = useLab((s) => s.profile);
  const busy = useLab((s) => s.busy);
  const [by, setBy] = useState<'kind' | 'layer'>('kind');
  if (!target) return <p className="muted small">Select a run to profile.</p>;
  const { run, color, live } = target;
  const res = results[run.id];
  const pending = !!busy[busyKey('profile', run.id)];
  const groups = res ? groupTimes(res.kernels, by) : [];
  const total = res ? res.kernels.reduce((s, k) => s + k.ms, 0) : 0;
  const macs = run.config ? countFlops(run.config.model) : undefined;
  return (
    <div className="lab-body">
      <div className="lab-actions">
        <button type="button" className="small" disabled={!live || pending} onClick={() => labMeasure('profile', run.id, { images: 1 })}>
          {pending ? 'Profiling…' : `Profile one step of ${run.name}`}
        </button>
        {res?.timestamps && (
          <Segmented
            label="Group by"
            value={by}
            options={[
              { value: 'kind', label: 'Op kind' },
              { value: 'layer', label: 'Layer' },
            ]}
            onChange={setBy}
          />
        )}
        {!live && <span className="muted small">Select a live run to profile it.</span>}
      </div>
      {macs !== undefined && (
        <p className="small">
          {formatCount(macs)} multiply-adds per image forward (convolutions and fc; model/counts.ts); a training step at batch{' '}
          {run.config!.batchSize} does about 3× that per image (forward, input and weight gradients):{' '}
          {formatCount(3 * macs * run.config!.batchSize)}. GPU memory of the run: {bytes(run.gpuBytes)}.
        </p>
      )}
      {res && !res.timestamps && (
        <p className="small" data-testid="profile-unavailable">
          No timestamp queries on this adapter ({res.adapter}): the browser gives no per-kernel GPU times here. Chrome offers them with the
          WebGPU developer features (chrome://flags, “WebGPU Developer Features”) on a GPU that supports them.
        </p>
      )}
      {res?.timestamps && (
        <figure className="lab-chart" aria-label="Kernel time chart">
          <figcaption className="chart-title">
            GPU time of one forward + backward pass, by {by === 'kind' ? 'op kind' : 'layer'}: {total.toFixed(2)} ms, {res.kernels.length}{' '}
            passes (batch {res.batch}, step {res.step})
          </figcaption>
          <ul className="lab-bars">
            {groups.map((g) => (
              <li key={g.name} title={`${g.kernels} kernels`}>
                <span className="lab-bar-name">{g.name}</span>
                <span className="lab-bar-track">
                  <span className="lab-bar-fill" style={{ width: `${(g.share * 100).toFixed(1)}%`, background: color }} />
                </span>
                <span className="num small">
                  {g.ms.toFixed(2)} ms · {(g.share * 100).toFixed(0)}%
                </span>
              </li>
            ))}
          </ul>
        </figure>
      )}
    </div>
  );
}
