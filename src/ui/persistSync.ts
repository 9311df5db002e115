// Keeps runs in IndexedDB: restores them when the page opens (as charts, not live), and writes a run
// back a moment after it changes (at most once a second per run, and when the page is hidden).
import { useApp } from './store';
import type { RunView } from './store/types';
import {
  checkpointIds,
  checkpointMetas,
  deleteStoredRun,
  isQuotaError,
  loadRuns,
  saveRun,
  type CheckpointMeta,
  type StoredRun,
} from './lib/persist';
import { fromRunConfig } from './lib/formConfig';
import { packNorms, unpackNorms } from './lib/normHistory';

const SAVE_DELAY_MS = 1000;

export const toStored = (r: RunView): StoredRun => ({
  id: r.id,
  name: r.name,
  config: r.config,
  groupId: r.groupId,
  createdAt: r.createdAt,
  lastState: r.state,
  step: r.step,
  totalSteps: r.totalSteps,
  paramCount: r.paramCount,
  elapsedMs: r.elapsedMs + (r.trainingSince !== undefined ? Date.now() - r.trainingSince : 0),
  metrics: r.metrics,
  evals: r.evals,
  normSamples: packNorms(r.layerNorms),
  checkpointStep: r.checkpointStep,
});

export async function restoreRuns(): Promise<void> {
  const [stored, kept, metas] = await Promise.all([
    loadRuns(),
    checkpointIds().catch(() => [] as string[]),
    checkpointMetas().catch(() => new Map<string, CheckpointMeta>()),
  ]).catch(() => [[], [], new Map()] as [StoredRun[], string[], Map<string, CheckpointMeta>]);
  const { addRun, runs } = useApp.getState();
  for (const r of stored) {
    if (runs[r.id]) continue;
    const state = r.lastState === 'done' || r.lastState === 'error' ? r.lastState : 'stopped';
    const hasCheckpoint = kept.includes(r.id);
    // The page went away while it trained (or waited paused): it is offered "Resume" from its last checkpoint.
    const interrupted = hasCheckpoint && (r.lastState === 'training' || r.lastState === 'paused') ? true : undefined;
    addRun({
      id: r.id,
      name: r.name,
      config: r.config,
      form: r.config ? fromRunConfig(r.config) : undefined,
      groupId: r.groupId,
      createdAt: r.createdAt,
      state,
      live: false,
      step: r.step,
      totalSteps: r.totalSteps,
      epoch: r.metrics.at(-1)?.epoch ?? 0,
      paramCount: r.paramCount,
      gpuBytes: 0,
      metrics: r.metrics,
      evals: r.evals,
      layerNorms: unpackNorms(r.id, r.normSamples, r.layerNorms),
      elapsedMs: r.elapsedMs,
      hasCheckpoint,
      // The checkpoint's own record first: the run's record may be a moment older (written at most once a second).
      checkpointStep: hasCheckpoint ? (metas.get(r.id)?.step ?? r.checkpointStep) : undefined,
      interrupted,
    });
  }
  if (!useApp.getState().selectedId && stored.length) useApp.getState().select(stored.at(-1)!.id);
}

/** Runs whose record could not be written, told once until a write of it succeeds again. */
const failed = new Set<string>();

/** A run's record was not written: the user hears it (the curve is not safe across a reload), once per run. */
function told(id: string, name: string, e: unknown): void {
  if (failed.has(id)) return;
  failed.add(id);
  const full = isQuotaError(e);
  useApp.getState().pushAlert({
    code: full ? 'storage-full' : 'internal',
    message: full
      ? `The browser has no room to keep the curves of "${name}": a reload now would lose what it trained since they were last kept.`
      : `The curves of "${name}" could not be kept in this browser (${e instanceof Error ? e.message : String(e)}).`,
    advice: full
      ? 'Make room under Data > Storage (delete checkpoints or the cached dataset), or free disk space; the app tries again at the next change.'
      : 'Export the run (CSV or JSON) to keep it; the app tries again at the next change.',
    runId: id,
    runName: name,
  });
}

export function startPersistence(): void {
  const dirty = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const { runs } = useApp.getState();
    for (const id of dirty) {
      const r = runs[id];
      if (r)
        void saveRun(toStored(r)).then(
          () => failed.delete(id),
          (e: unknown) => told(id, r.name, e),
        );
      else void deleteStoredRun(id).catch((e: unknown) => console.warn(`stored run ${id} not deleted: ${String(e)}`));
    }
    dirty.clear();
  };
  useApp.subscribe((s, prev) => {
    if (s.runs === prev.runs) return;
    // A run still loading from a checkpoint file is kept only once the worker accepts the file (RunView.pendingLoad).
    for (const id of s.order) if (s.runs[id] !== prev.runs[id] && !s.runs[id].pendingLoad) dirty.add(id);
    for (const id of prev.order) if (!s.runs[id]) dirty.add(id);
    if (dirty.size && timer === undefined) timer = setTimeout(flush, SAVE_DELAY_MS);
  });
  addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden' && dirty.size) flush();
  });
  addEventListener('pagehide', () => dirty.size && flush());
}
