// The runs on screen: colour (as in the charts), name, state, latest step, loss and test accuracy, and
// per-run exports. Clicking a run selects it for the controls, BatchNorm mode and inspection.
import { useRef } from 'react';
import { exportMetrics, exportTorchScript } from '../runExports';
import { continueRun, deleteRun, resumeGroup, loadCheckpointFile, openKernelProfile, saveWeights } from '../actions';
import { loss, pct } from '../lib/format';
import { useApp } from '../store';
import type { RunView } from '../store/types';
import type { RunState } from '../../train/protocol';
import { runColor } from '../lib/palette';

export const latestTestAcc = (r: RunView, mode?: 'eval' | 'train') => {
  for (let i = r.evals.length - 1; i >= 0; i--) if (r.evals[i].split === 'test' && (!mode || r.evals[i].bnMode === mode)) return r.evals[i];
  return undefined;
};

const STATE_LABEL: Record<RunState, string> = {
  building: 'building',
  ready: 'ready',
  training: 'training',
  evaluating: 'evaluating',
  paused: 'paused',
  done: 'done',
  stopped: 'stopped',
  error: 'error',
};

/** What Resume does to a run restored after a reload: where it goes on from, and what is trained again. */
function resumeWord(r: RunView): string {
  const c = r.checkpointStep;
  if (c === undefined) return 'Train on from its kept checkpoint';
  if (c >= r.step) return `Train on from its checkpoint at step ${c}: nothing is trained again`;
  return `Checkpoint at step ${c}; steps ${c + 1}-${r.step} will be trained again (the same batches, so the same losses)`;
}

/** The other interrupted members of `r`'s compare pair: "Resume" brings them back with it, in step. */
function useResumeMates(r: RunView): RunView[] {
  const runs = useApp((s) => s.runs);
  const order = useApp((s) => s.order);
  if (!r.groupId || !r.interrupted || r.live) return [];
  return order.map((id) => runs[id]).filter((m) => m.id !== r.id && m.groupId === r.groupId && m.interrupted && !m.live);
}

/** What Resume of a pair does: which runs, from which step, and which take the steps between alone. */
function pairWord(r: RunView, mates: RunView[]): string {
  const all = [r, ...mates];
  const at = Math.max(...all.map((m) => m.checkpointStep ?? 0));
  const behind = all.filter((m) => (m.checkpointStep ?? 0) < at);
  const others = mates.map((m) => m.name).join(', ');
  return (
    `Resumes with ${others}, in step, from step ${at}` +
    (behind.length ? ` (${behind.map((m) => `${m.name} trains steps ${(m.checkpointStep ?? 0) + 1}-${at} alone first`).join('; ')})` : '') +
    (all.some((m) => m.step > at) ? `; the steps after ${at} are trained again (the same batches, so the same losses)` : '')
  );
}

/** What the row says under itself about going on, where a click would not do what a person assumes; else undefined. */
function resumeNote(r: RunView, mates: RunView[]): string | undefined {
  if (r.live || r.pendingLoad) return undefined;
  if (r.interrupted && mates.length > 0) return `${pairWord(r, mates)}.`;
  if (r.interrupted) return `${resumeWord(r)}.`;
  if (!r.hasCheckpoint && r.state !== 'done' && r.state !== 'error' && r.step > 0)
    return `No checkpoint of this run is kept (the first comes after a few hundred steps or 30 s of training, or at a pause or stop), so it cannot be resumed; its curves stay.`;
  return undefined;
}

function RunRow({ r, index, selected }: { r: RunView; index: number; selected: boolean }) {
  const select = useApp((s) => s.select);
  const bnMode = useApp((s) => s.bnMode);
  const test = latestTestAcc(r, bnMode) ?? latestTestAcc(r);
  const last = r.metrics.at(-1);
  const dataReady = useApp((s) => s.engine.status === 'ready' && s.data.status === 'ready');
  const mates = useResumeMates(r);
  const note = resumeNote(r, mates);
  return (
    <li
      data-testid="run"
      data-run-name={r.name}
      data-checkpoint-step={r.checkpointStep}
      className={`run ${selected ? 'selected' : ''}`}
      aria-current={selected ? 'true' : undefined}
    >
      <button type="button" className="run-name" onClick={() => select(r.id)} aria-label={`Select run ${r.name}`}>
        <span className="swatch" style={{ background: runColor(index) }} aria-hidden />
        <span className="name-text" title={r.name}>
          {r.name}
        </span>
      </button>
      <span className={`badge ${r.live ? r.state : 'saved'}`} title={r.error}>
        {r.live ? STATE_LABEL[r.state] : r.state === 'done' ? 'done · saved' : 'saved'}
      </span>
      <span className="num" title={r.checkpointStep !== undefined ? `Step (a checkpoint is kept at step ${r.checkpointStep})` : 'Step'}>
        <span data-testid="run-step">{r.step}</span>
        <span className="muted">/{r.totalSteps || '—'}</span>
      </span>
      <span className="num" title="Training loss (last step)">
        <span data-testid="run-loss">{loss(last?.trainLoss)}</span>
      </span>
      <span
        className="num"
        title={test ? `Test accuracy at step ${test.step}, BN ${test.bnMode} mode, ${test.images} images` : 'Not evaluated yet'}
      >
        <span data-testid="run-test-acc">{pct(test?.accuracy)}</span>
      </span>
      <span className="row-actions">
        {!r.live && r.interrupted ? (
          <button
            type="button"
            className="small primary"
            onClick={() => void (mates.length ? resumeGroup([r.id, ...mates.map((m) => m.id)]) : continueRun(r.id, true))}
            disabled={!dataReady}
            title={(dataReady ? '' : 'Load the data first. ') + (mates.length ? pairWord(r, mates) : resumeWord(r))}
            aria-label={
              mates.length
                ? `Resume ${[r, ...mates].map((m) => m.name).join(' and ')} together`
                : `Resume ${r.name} from step ${r.checkpointStep ?? 'of its checkpoint'}`
            }
          >
            {mates.length ? 'Resume pair' : 'Resume'}
          </button>
        ) : (
          !r.live &&
          r.hasCheckpoint && (
            <button
              type="button"
              className="small"
              onClick={() => void continueRun(r.id)}
              aria-label={`Continue ${r.name} from its saved weights`}
            >
              Continue
            </button>
          )
        )}
        <button
          type="button"
          className="small"
          onClick={() => exportMetrics(r.id, 'csv')}
          aria-label={`Export metrics of ${r.name} as CSV`}
        >
          CSV
        </button>
        <button
          type="button"
          className="small"
          onClick={() => exportMetrics(r.id, 'json')}
          aria-label={`Export metrics of ${r.name} as JSON`}
        >
          JSON
        </button>
        <button
          type="button"
          className="small"
          onClick={() => void saveWeights(r.id)}
          disabled={!r.live && !r.hasCheckpoint}
          title={
            !r.live && !r.hasCheckpoint
              ? 'No weights of this run are kept: they are kept every few hundred steps or 30 s of training, and when it pauses, stops or finishes; it ended before the first'
              : 'Download the weights (safetensors, PyTorch names)'
          }
          aria-label={`Save weights of ${r.name}`}
        >
          Weights
        </button>
        <button
          type="button"
          className="small"
          onClick={() => exportTorchScript(r.id)}
          disabled={!r.config}
          aria-label={`Export ${r.name} as PyTorch script`}
          title="Export as PyTorch script: the same run (initial weights, batches, schedule) for torch on one GPU or several (torchrun); it reads the app's CIFAR-10 file and loads the saved weights to continue"
        >
          .py
        </button>
        {r.live && (
          <button
            type="button"
            className="small"
            onClick={() => openKernelProfile(r.id)}
            aria-label={`Kernel profile of ${r.name}`}
            title="Where the time goes: open the lab's kernel profile for this run"
          >
            Profile
          </button>
        )}
        <button type="button" className="small ghost" onClick={() => deleteRun(r.id)} aria-label={`Delete run ${r.name}`}>
          ✕
        </button>
      </span>
      {note && (
        <span className="run-note muted" data-testid="run-note">
          {note}
        </span>
      )}
    </li>
  );
}

export function RunList() {
  const order = useApp((s) => s.order);
  const runs = useApp((s) => s.runs);
  const selectedId = useApp((s) => s.selectedId);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  const fileRef = useRef<HTMLInputElement>(null);
  return (
    <section className="panel runs-panel" aria-labelledby="runs-title">
      <div className="runs-grid">
        {/* One sticky block: the title, "Load checkpoint…" and the column names stay below the run-controls bar while rows show. */}
        <div className="runs-head">
          <header className="panel-head">
            <h2 id="runs-title">Runs</h2>
            <div className="panel-actions">
              <button type="button" className="small" onClick={() => fileRef.current?.click()} disabled={!engineReady}>
                Load checkpoint…
              </button>
              <input
                ref={fileRef}
                type="file"
                accept=".safetensors"
                hidden
                aria-label="Checkpoint file"
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  if (f) void loadCheckpointFile(f);
                  e.target.value = '';
                }}
              />
            </div>
          </header>
          {order.length > 0 && (
            <div className="run-head" aria-hidden>
              <span>Run</span>
              <span>State</span>
              <span className="num">Step</span>
              <span className="num">Loss</span>
              <span className="num">Test acc.</span>
              <span />
            </div>
          )}
        </div>
        {order.length === 0 ? (
          <p className="empty muted">
            No runs yet. Load the data, pick a configuration and press Train — or compare a plain and a residual net.
          </p>
        ) : (
          <ul className="run-list">
            {order.map((id, i) => (
              <RunRow key={id} r={runs[id]} index={i} selected={id === selectedId} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
