// The lab on saved runs (issue 22): a run restored after a reload has curves but no network in the worker, so no
// instrument can measure it. Where its checkpoint is kept in the browser, one click loads it (paused, at the
// checkpoint's step) and the instruments work on it; where none is kept, the lab says its weights are gone.
import { continueRun } from '../../actions';
import { useApp } from '../../store';
import { listText, useLabRuns } from './labRuns';

export function LabWake() {
  const runs = useLabRuns();
  const dataReady = useApp((s) => s.engine.status === 'ready' && (s.data.status === 'ready' || !!s.data.summary));
  const asleep = runs.filter((r) => !r.run.live && r.run.hasCheckpoint);
  const gone = runs.filter((r) => !r.run.live && !r.run.hasCheckpoint && !r.run.pendingLoad);
  const loading = runs.filter((r) => r.run.live && (r.run.state === 'building' || r.run.pendingLoad));
  if (asleep.length === 0 && gone.length === 0 && loading.length === 0) return null;
  const names = (rs: typeof runs) => listText(rs.map((r) => r.run.name));
  const steps = asleep.map((r) => r.run.checkpointStep).filter((s) => s !== undefined);
  // Loading goes back to the checkpoint: the points after it go, and come back the same if the run is resumed.
  const behind = asleep.filter((r) => r.run.checkpointStep !== undefined && r.run.step > r.run.checkpointStep);
  return (
    <div className="lab-wake" data-testid="lab-wake" aria-live="polite">
      {asleep.length > 0 && (
        <p className="small">
          {names(asleep)} {asleep.length === 1 ? 'is' : 'are'} saved, not loaded: the lab measures a network in the worker.{' '}
          <button
            type="button"
            className="small primary"
            disabled={!dataReady}
            title={dataReady ? undefined : 'Load the data first (Data panel)'}
            onClick={() => asleep.forEach((r) => void continueRun(r.run.id))}
          >
            {asleep.length === 1 ? 'Load its checkpoint' : 'Load their checkpoints'}
          </button>{' '}
          <span className="muted">
            (paused{steps.length ? ` at step ${[...new Set(steps)].join(' and ')}` : ''}
            {behind.length > 0 ? `; ${names(behind)} goes back to it, and the steps after it are trained again on Resume` : ''})
          </span>
        </p>
      )}
      {loading.length > 0 && <p className="small muted">Loading {names(loading)}…</p>}
      {gone.length > 0 && (
        <p className="small muted">
          {names(gone)}: no checkpoint is kept in this browser, so the lab cannot measure {gone.length === 1 ? 'it' : 'them'}; train{' '}
          {gone.length === 1 ? 'it' : 'them'} again, or load a weights file (Load checkpoint).
        </p>
      )}
    </div>
  );
}
