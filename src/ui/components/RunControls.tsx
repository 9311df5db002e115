// Train, Pause/Resume, Step, Stop and "Compare plain vs residual", with the selected run's speed,
// elapsed time, ETA and GPU memory.
import { useEffect, useState } from 'react';
import { comparePlainVsResidual, pause, resume, stepOnce, stop, train } from '../actions';
import { formProblems } from '../lib/formConfig';
import { bytes, duration, rate } from '../lib/format';
import { selectedRun, useApp } from '../store';
import type { RunView } from '../store/types';
import { usePublishedHeight } from './useElementSize';
import { RunNameField } from './RunNameField';

/** The runs a control acts on: the twins of a comparison move together. */
function members(r: RunView): string[] {
  if (!r.groupId) return [r.id];
  const s = useApp.getState();
  return s.order.filter((id) => s.runs[id].groupId === r.groupId && s.runs[id].live);
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

export function RunControls() {
  const run = useApp(selectedRun);
  const dataReady = useApp((s) => s.data.status === 'ready' || !!s.data.summary);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  const formOk = useApp((s) => formProblems(s.form).length === 0);
  const training = run?.live && run.state === 'training';
  const now = useNow(!!training);
  const bar = usePublishedHeight<HTMLDivElement>('--controls-height'); // the Runs header sticks below the bar

  const canCreate = engineReady && dataReady && formOk;
  const why = !engineReady
    ? 'The GPU is not ready'
    : !dataReady
      ? 'Load CIFAR-10 first'
      : !formOk
        ? 'Fix the configuration first'
        : undefined;
  const live = !!run?.live;
  const pausable = live && run.state === 'training';
  const resumable = live && (run.state === 'paused' || run.state === 'ready');
  const stoppable = live && ['training', 'paused', 'ready', 'building'].includes(run.state);
  const steppable = canCreate && (!run || !live || ['paused', 'ready', 'building', 'done', 'stopped', 'error'].includes(run.state));

  const last = run?.metrics.at(-1);
  const elapsed = run ? run.elapsedMs + (run.trainingSince !== undefined ? now - run.trainingSince : 0) : undefined;
  const batch = run?.config?.batchSize;
  const eta =
    training && last && batch && last.imagesPerSec > 0 && run.totalSteps > 0
      ? ((run.totalSteps - run.step) * batch * 1000) / last.imagesPerSec
      : undefined;

  return (
    <div ref={bar} className="controls" role="toolbar" aria-label="Run controls">
      <div className="buttons">
        <button
          type="button"
          className="primary"
          onClick={() => train()}
          disabled={!canCreate}
          title={why ?? 'Start a new run with this configuration'}
        >
          Train
        </button>
        {resumable ? (
          <button type="button" onClick={() => resume(members(run))}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => run && pause(members(run))} disabled={!pausable}>
            Pause
          </button>
        )}
        <button
          type="button"
          onClick={stepOnce}
          disabled={!steppable}
          title="Run one training step (a new paused run when none is selected or it cannot step)"
        >
          Step
        </button>
        <button type="button" onClick={() => run && members(run).forEach(stop)} disabled={!stoppable}>
          Stop
        </button>
        <span className="sep" aria-hidden />
        <button
          type="button"
          className="accent"
          onClick={comparePlainVsResidual}
          disabled={!canCreate}
          title={why ?? 'Train a plain and a residual net of this depth side by side, same seed and batches'}
        >
          Compare plain vs residual
        </button>
      </div>
      <div className="stats" aria-label="Selected run" data-overflow-ok>
        <RunNameField run={run} />
        <Stat
          label="Step"
          value={run ? `${run.step.toLocaleString('en-US')} / ${run.totalSteps ? run.totalSteps.toLocaleString('en-US') : '—'}` : '—'}
        />
        <Stat label="Images/s" value={training ? rate(last?.imagesPerSec) : '—'} />
        <Stat label="Elapsed" value={duration(elapsed)} />
        <Stat label="ETA" value={duration(eta)} />
        <Stat label="GPU memory" value={bytes(run?.gpuBytes)} />
      </div>
    </div>
  );
}
