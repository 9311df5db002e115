// Checkpoints kept in the browser (IndexedDB, lib/persist.ts), so that nothing trained is lost to a reload or a
// crashed tab. A live run is checkpointed every AUTOSAVE_STEPS steps or AUTOSAVE_MS, whichever comes first, and
// when it pauses, stops or finishes (actions.ts asks the worker, which sends the file). When the browser has no
// room (QuotaExceededError), the user is told and training goes on; older checkpoints of other runs are deleted
// only if the user agrees.
import { checkpointIds, deleteCheckpoints, isQuotaError, saveCheckpoint } from './lib/persist';
import { useApp } from './store';
import { toStored } from './persistSync';
import type { RunView } from './store/types';

/** Auto-checkpoint period: every this many steps of a training run... */
export const AUTOSAVE_STEPS = 200;
/** ...or this many milliseconds, whichever comes first. */
export const AUTOSAVE_MS = 30_000;

/** The period in force: the constants, or `?autosave=<steps>` in the page's address (tests use tiny runs). */
export function autosavePeriod(search = typeof location === 'undefined' ? '' : location.search): { steps: number; ms: number } {
  const n = Number(new URLSearchParams(search).get('autosave'));
  return Number.isInteger(n) && n > 0 ? { steps: n, ms: AUTOSAVE_MS } : { steps: AUTOSAVE_STEPS, ms: AUTOSAVE_MS };
}

/** When each training run was last checkpointed; due() says when the next one is. */
export class AutoSaver {
  private readonly last = new Map<string, { step: number; at: number }>();

  constructor(private readonly period = autosavePeriod()) {}

  /** Whether run `id`, now at `step`, is due a checkpoint; the first call only starts its clock. */
  due(id: string, step: number, now: number): boolean {
    const l = this.last.get(id);
    if (!l || step < l.step) {
      this.last.set(id, { step, at: now });
      return false;
    }
    return step > l.step && (step - l.step >= this.period.steps || now - l.at >= this.period.ms);
  }

  /** A checkpoint of `id` at `step` was asked for at `now` (also at a pause). */
  asked(id: string, step: number, now: number): void {
    this.last.set(id, { step, at: now });
  }
}

/** The step in a checkpoint's safetensors metadata (0 when it has none). */
export function checkpointStep(bytes: ArrayBuffer): number {
  try {
    const len = Number(new DataView(bytes).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 8, len))) as { __metadata__?: { step?: unknown } } | null;
    const step = Number(header?.__metadata__?.step);
    return Number.isInteger(step) && step >= 0 ? step : 0;
  } catch {
    return 0;
  }
}

/** A run's curves taken back to `step` (the checkpoint it goes on from): the points after it are trained again. */
export function rewound(r: RunView, step: number): Partial<RunView> {
  const keep = (p: { step: number }) => p.step <= step;
  const norms = r.layerNorms?.filter(keep);
  return {
    step,
    metrics: r.metrics.filter(keep),
    evals: r.evals.filter(keep),
    layerNorms: norms?.length ? norms : undefined,
    epoch: r.metrics.filter(keep).at(-1)?.epoch ?? 0,
  };
}

/** How long a checkpoint waits for its run's points up to its step (they come in separate readbacks). */
const METRICS_WAIT_MS = 5000;

/** Resolves once run `id` shows its points up to `step`, is gone or no longer live, or after METRICS_WAIT_MS. */
function metricsReach(id: string, step: number): Promise<void> {
  const ready = () => {
    const r = useApp.getState().runs[id];
    return !r || !r.live || (r.metrics.at(-1)?.step ?? 0) >= step;
  };
  if (ready()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => (unsubscribe(), clearTimeout(timer), resolve());
    const unsubscribe = useApp.subscribe(() => ready() && done());
    const timer = setTimeout(done, METRICS_WAIT_MS);
  });
}

/** The run's record as it is now, to be written with its checkpoint (not for a run still loading from a file). */
function record(id: string) {
  const r = useApp.getState().runs[id];
  return r && !r.pendingLoad ? toStored(r) : undefined;
}

/**
 * Bumped for a run when it is deleted, and for all by "Delete checkpoints": a keepCheckpoint that began before
 * (it waits for the run's points) then writes nothing, so no orphan is stored and no deleted checkpoint comes back.
 */
const generations = new Map<string, number>();
let allGeneration = 0;
const generationOf = (runId: string) => `${allGeneration}.${generations.get(runId) ?? 0}`;

/** Checkpoints of `runId` (default: of every run) still on their way are not to be kept. */
export function forgetCheckpoints(runId?: string): void {
  if (runId === undefined) allGeneration++;
  else generations.set(runId, (generations.get(runId) ?? 0) + 1);
}

/** Runs already told that their checkpoint could not be kept (told again only after one is kept). */
const warned = new Set<string>();
/** The user said no to deleting other checkpoints: not asked again in this page. */
let pruneDeclined = false;

const ask = (question: string) => typeof confirm === 'function' && confirm(question);

/**
 * Keeps `bytes` as run `runId`'s checkpoint. Never throws: a full storage becomes a 'storage-full' alert (once per
 * run until a checkpoint of it is kept again) after the user was asked whether the checkpoints of other runs may
 * go; other failures are logged. Resolves with whether the checkpoint is kept.
 */
export async function keepCheckpoint(runId: string, fileName: string, bytes: ArrayBuffer): Promise<boolean> {
  const step = checkpointStep(bytes);
  const generation = generationOf(runId);
  // The run's record goes with the checkpoint, holding the points up to its step: a resume never leaves a gap.
  await metricsReach(runId, step);
  if (generation !== generationOf(runId)) return false; // the run or its checkpoints were deleted meanwhile
  const kept = () => {
    warned.delete(runId);
    useApp.getState().patchRun(runId, { hasCheckpoint: true, checkpointStep: step });
    return true;
  };
  try {
    await saveCheckpoint(runId, fileName, bytes, step, record(runId));
    if (generation !== generationOf(runId)) {
      await deleteCheckpoints([runId]); // deleted while it was being written
      return false;
    }
    return kept();
  } catch (e) {
    if (!isQuotaError(e)) {
      notKept(runId, step, e);
      return false;
    }
  }
  const app = useApp.getState();
  const r = app.runs[runId];
  const name = r?.name ?? runId;
  const mb = bytes.byteLength >= 1e6 ? `${(bytes.byteLength / 1e6).toFixed(1)} MB` : `${(bytes.byteLength / 1e3).toFixed(1)} kB`;
  try {
    const others = (await checkpointIds()).filter((id) => id !== runId);
    if (others.length > 0 && !pruneDeclined) {
      const yes = ask(
        `The browser's storage is full: the checkpoint of "${name}" at step ${step} (${mb}) cannot be kept.\n\n` +
          `Delete the ${others.length} checkpoint${others.length === 1 ? '' : 's'} kept for other runs to make room? ` +
          'Their curves stay, but they can no longer be resumed or continued.',
      );
      if (!yes) pruneDeclined = true;
      else {
        await deleteCheckpoints(others);
        for (const id of others)
          useApp.getState().patchRun(id, { hasCheckpoint: false, checkpointStep: undefined, interrupted: undefined });
        await saveCheckpoint(runId, fileName, bytes, step, record(runId));
        return kept();
      }
    }
  } catch (e) {
    if (!isQuotaError(e)) console.warn(`checkpoint of ${runId} not kept: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!warned.has(runId)) {
    warned.add(runId);
    const back =
      r?.checkpointStep !== undefined ? `its last kept checkpoint, step ${r.checkpointStep}` : 'nothing: no checkpoint of it is kept';
    useApp.getState().pushAlert({
      code: 'storage-full',
      message: `The browser has no room to keep the checkpoint of "${name}" at step ${step} (${mb}). Training goes on; after a reload it could resume from ${back}.`,
      advice:
        'Make room under Data > Storage (delete checkpoints or the cached dataset), or free disk space; the next checkpoint is tried as usual.',
      runId,
      runName: name,
    });
  }
  return false;
}

/** A checkpoint that failed for another reason than a full storage: the user is told once per run, with what it means. */
function notKept(runId: string, step: number, e: unknown): void {
  const why = e instanceof Error ? e.message : String(e);
  console.warn(`checkpoint of ${runId} not kept: ${why}`);
  if (warned.has(runId)) return;
  warned.add(runId);
  const r = useApp.getState().runs[runId];
  const name = r?.name ?? runId;
  const back =
    r?.checkpointStep !== undefined ? `its last kept checkpoint, step ${r.checkpointStep}` : 'nothing: no checkpoint of it is kept';
  useApp.getState().pushAlert({
    code: 'internal',
    message: `The checkpoint of "${name}" at step ${step} could not be kept in this browser (${why}). Training goes on; after a reload it could resume from ${back}.`,
    advice: 'Download its weights (Weights) to keep them; the next checkpoint is tried as usual.',
    runId,
    runName: name,
  });
}

/** Forgets this page's answers (tests start each case afresh). */
export function resetCheckpointWarnings(): void {
  warned.clear();
  pruneDeclined = false;
}
