// Runs (config, name, metrics and latest layer norms) and their last checkpoints kept in IndexedDB across reloads.
// Its own database, apart from the dataset cache the worker keeps.
import type { EvalPoint, LayerNorms, MetricPoint, RunConfig } from '../../train/protocol';
import type { StoredNorms } from './normHistory';

const DB_NAME = 'resnet-playground-runs';
const RUNS = 'runs';
const CHECKPOINTS = 'checkpoints';
/** A small record per checkpoint (its step and size), written in the same transaction: read without the tensors. */
const CHECKPOINT_META = 'checkpointMeta';

export interface StoredRun {
  id: string;
  name: string;
  config?: RunConfig;
  groupId?: string;
  createdAt: number;
  /** The last state the page saw (a restored run is no longer in the worker). */
  lastState: string;
  step: number;
  totalSteps: number;
  paramCount: number;
  elapsedMs: number;
  metrics: MetricPoint[];
  evals: EvalPoint[];
  /** Records written before normSamples: the latest per-layer norms only (still read). */
  layerNorms?: LayerNorms;
  /** Per-layer norm samples over training, thinned (lib/normHistory.ts), for the Gradient-flow map after a reload. */
  normSamples?: StoredNorms;
  /** The step of the checkpoint last kept for it (what "Resume" goes back to). */
  checkpointStep?: number;
}

let dbPromise: Promise<IDBDatabase> | undefined;

function db(): Promise<IDBDatabase> {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('IndexedDB is not available'));
    const r = indexedDB.open(DB_NAME, 2);
    r.onupgradeneeded = () => {
      for (const s of [RUNS, CHECKPOINTS, CHECKPOINT_META]) if (!r.result.objectStoreNames.contains(s)) r.result.createObjectStore(s);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB could not be opened'));
  });
  dbPromise.catch(() => (dbPromise = undefined));
  return dbPromise;
}

async function tx<T>(
  store: string,
  mode: IDBTransactionMode,
  fn: (s: IDBObjectStore) => IDBRequest<T> | undefined,
): Promise<T | undefined> {
  return txStores([store], mode, (t) => fn(t.objectStore(store)));
}

/** One transaction over `stores` (all or nothing); resolves with the result of the request `fn` returns. */
async function txStores<T>(
  stores: string[],
  mode: IDBTransactionMode,
  fn: (t: IDBTransaction) => IDBRequest<T> | undefined,
): Promise<T | undefined> {
  const d = await db();
  return new Promise<T | undefined>((resolve, reject) => {
    const t = d.transaction(stores, mode);
    const req = fn(t);
    t.oncomplete = () => resolve(req ? req.result : undefined);
    t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'));
    t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export const saveRun = (r: StoredRun) => tx(RUNS, 'readwrite', (s) => void s.put(r, r.id));
export const deleteStoredRun = async (id: string) => {
  await tx(RUNS, 'readwrite', (s) => void s.delete(id));
  await deleteCheckpoints([id]);
};
export async function loadRuns(): Promise<StoredRun[]> {
  const all = ((await tx(RUNS, 'readonly', (s) => s.getAll())) ?? []) as StoredRun[];
  return all.filter((r) => r && typeof r.id === 'string' && Array.isArray(r.metrics)).sort((a, b) => a.createdAt - b.createdAt);
}

export interface CheckpointMeta {
  step: number;
  fileName: string;
  bytes: number;
  savedAt: number;
}

/**
 * Keeps `bytes` as run `id`'s checkpoint (replacing the one before), with its meta record and, when given, the
 * run's record (its curves up to there), in one transaction: a kept checkpoint never lies past the kept curve.
 */
export const saveCheckpoint = (id: string, fileName: string, bytes: ArrayBuffer, step = 0, run?: StoredRun) =>
  txStores(run ? [CHECKPOINTS, CHECKPOINT_META, RUNS] : [CHECKPOINTS, CHECKPOINT_META], 'readwrite', (t) => {
    if (run) t.objectStore(RUNS).put(run, run.id);
    t.objectStore(CHECKPOINTS).put({ fileName, bytes }, id);
    t.objectStore(CHECKPOINT_META).put({ step, fileName, bytes: bytes.byteLength, savedAt: Date.now() } satisfies CheckpointMeta, id);
    return undefined;
  });
/** The meta records of the kept checkpoints, by run id (none for checkpoints kept before there were any). */
export async function checkpointMetas(): Promise<Map<string, CheckpointMeta>> {
  const out = new Map<string, CheckpointMeta>();
  await txStores([CHECKPOINT_META], 'readonly', (t) => {
    const s = t.objectStore(CHECKPOINT_META);
    const keys = s.getAllKeys();
    const values = s.getAll();
    values.onsuccess = () => keys.result.forEach((k, i) => typeof k === 'string' && out.set(k, values.result[i] as CheckpointMeta)); // keys are run ids
    return undefined;
  });
  return out;
}
export const loadCheckpoint = async (id: string) =>
  (await tx(CHECKPOINTS, 'readonly', (s) => s.get(id))) as { fileName: string; bytes: ArrayBuffer } | undefined;
export const checkpointIds = async () => ((await tx(CHECKPOINTS, 'readonly', (s) => s.getAllKeys())) ?? []).map(String);

/** Deletes the checkpoints kept for `ids` (all of them when `ids` is undefined). */
export const deleteCheckpoints = (ids?: string[]) =>
  txStores([CHECKPOINTS, CHECKPOINT_META], 'readwrite', (t) => {
    for (const s of [t.objectStore(CHECKPOINTS), t.objectStore(CHECKPOINT_META)]) {
      if (ids) ids.forEach((id) => s.delete(id));
      else s.clear();
    }
    return undefined;
  });

export interface StoreFigures {
  count: number;
  bytes: number;
}

/**
 * How many runs and checkpoints are kept here and about how many bytes they take (runs: their JSON size;
 * checkpoints: the sizes in their meta records, so the tensors are not read).
 */
export async function storedFigures(): Promise<{ runs: StoreFigures; checkpoints: StoreFigures }> {
  const [all, ids, metas] = await Promise.all([tx(RUNS, 'readonly', (s) => s.getAll()), checkpointIds(), checkpointMetas()]);
  const runs = (all ?? []) as unknown[];
  return {
    runs: { count: runs.length, bytes: runs.reduce<number>((n, v) => n + JSON.stringify(v).length, 0) },
    checkpoints: { count: ids.length, bytes: ids.reduce((n, id) => n + (metas.get(id)?.bytes ?? 0), 0) },
  };
}

/** Whether `e`, or an error it wraps, is the browser's QuotaExceededError. */
export function isQuotaError(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    if ((x as { name?: unknown }).name === 'QuotaExceededError') return true;
  }
  return false;
}
