// Where the time goes: the GPU time of each kernel of one forward + backward pass (timestamp queries, measured by
// the worker: src/runtime/labProfile.ts) with its modelled FLOPs and bytes (src/kernels/cost.ts), summed by op
// kind or by layer, with the step's totals and the run's GPU memory. Adapters without timestamp queries get a
// sentence saying so, and bars of the FLOPs instead of the time.
import { useState } from 'react';
import { labMeasure } from '../../actions';
import { bytes } from '../../lib/format';
import { groupTimes } from '../../lib/profileGroups';
import { countFlops, formatCount } from '../../../model/counts';
import { busyKey, useLab } from '../../store/lab';
import { Segmented } from '../controls';
import { useApp } from '../../store';
import { useLabRuns } from './labRuns';
import { KernelTuning } from './KernelTuning';

/** "312M FLOPs"; an op that only moves data (a copy, a pad) says so rather than "0FLOP". */
const flopText = (n: number) => (n === 0 ? 'no arithmetic' : `${formatCount(n)} FLOPs`);

export function KernelProfile() {
  return (
    <div className="lab-body">
      <RunProfile />
      <KernelTuning />
    </div>
  );
}

/** One profiled step of the selected run. */
function RunProfile() {
  const runs = useLabRuns();
  const selectedId = useApp((s) => s.selectedId);
  const target = runs.find((r) => r.run.id === selectedId) ?? runs[0];
  const results = useLab((s) => s.profile);
  const busy = useLab((s) => s.busy);
  const [by, setBy] = useState<'kind' | 'layer'>('kind');
  if (!target) return <p className="muted small">Select a run to profile one of its steps.</p>;
  const { run, color, live } = target;
  const res = results[run.id];
  const pending = !!busy[busyKey('profile', run.id)];
  const groups = res ? groupTimes(res.kernels, by) : [];
  const total = res ? res.kernels.reduce((s, k) => s + k.ms, 0) : 0;
  const flops = res ? res.kernels.reduce((s, k) => s + k.flops, 0) : 0;
  const traffic = res ? res.kernels.reduce((s, k) => s + k.bytesRead + k.bytesWritten, 0) : 0;
  const macs = run.config ? countFlops(run.config.model) : undefined;
  return (
    <>
      <div className="lab-actions">
        <button type="button" className="small" disabled={!live || pending} onClick={() => labMeasure('profile', run.id, { images: 1 })}>
          {pending ? 'Profiling…' : `Profile one step of ${run.name}`}
        </button>
        {res && res.kernels.length > 0 && (
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
          {formatCount(macs)} multiply-adds per image forward (convolutions and the fc layer); a training step at batch{' '}
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
      {res && res.kernels.length > 0 && (
        <p className="small" data-testid="profile-cost">
          Cost model of the forward + backward pass (batch {res.batch}): {flopText(flops)}, {bytes(traffic)} read + written (modelled per
          dispatch; the SGD and running-statistics updates are not included).
        </p>
      )}
      {res && res.kernels.length > 0 && (
        <figure className="lab-chart" aria-label={res.timestamps ? 'Kernel time chart' : 'Kernel FLOPs chart'}>
          <figcaption className="chart-title">
            {res.timestamps ? 'GPU time' : 'Modelled FLOPs'} of one forward + backward pass, by {by === 'kind' ? 'op kind' : 'layer'}
            {res.timestamps ? `: ${total.toFixed(2)} ms` : ''}, {res.kernels.length} passes (batch {res.batch}, step {res.step})
          </figcaption>
          <ul className="lab-bars">
            {groups.map((g) => (
              <li key={g.name} title={`${g.kernels} kernels, ${flopText(g.flops)}, ${bytes(g.bytes)}`}>
                <span className="lab-bar-name">{g.name}</span>
                <span className="lab-bar-track">
                  <span className="lab-bar-fill" style={{ width: `${(g.share * 100).toFixed(1)}%`, background: color }} />
                </span>
                <span className="num small">
                  {res.timestamps && `${g.ms.toFixed(2)} ms · `}
                  {flopText(g.flops)} · {bytes(g.bytes)} · {(g.share * 100).toFixed(0)}% of the {res.timestamps ? 'time' : 'FLOPs'}
                </span>
              </li>
            ))}
          </ul>
        </figure>
      )}
    </>
  );
}
