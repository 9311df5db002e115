// Runs (config, name, metrics and latest layer norms) and their last checkpoints kept in IndexedDB across reloads.
// Its own database, apart from the dataset cache the worker keeps.
import type { EvalPoint, LayerNorms, MetricPoint, RunConfig } from '../../train/protocol';

const DB_NAME = 'resnet-playground-runs';
const RUNS = 'runs';
const CHECKPOINTS = 'checkpoints';

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
  /** The latest per-layer norms (only the latest: that is what the chart shows). */
  layerNorms?: LayerNorms;
  /** The step of the checkpoint last kept for it (what "Resume" goes back to). */
  checkpointStep?: number;
}

let dbPromise: Promise<IDBDatabase> | undefined;

function db(): Promise<IDBDatabase> {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('IndexedDB is not available'));
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => {
      for (const s of [RUNS, CHECKPOINTS]) if (!r.result.objectStoreNames.contains(s)) r.result.createObjectStore(s);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  dbPromise.catch(() => (dbPromise = undefined));
  return dbPromise;
}

async function tx<T>(store: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const d = await db();
  return new Promise<T | undefined>((resolve, reject) => {
    const t = d.transaction(store, mode);
    const req = fn(t.objectStore(store));
    t.oncomplete = () => resolve(req ? req.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export const saveRun = (r: StoredRun) => tx(RUNS, 'readwrite', (s) => void s.put(r, r.id));
export const deleteStoredRun = async (id: string) => {
  await tx(RUNS, 'readwrite', (s) => void s.delete(id));
  await tx(CHECKPOINTS, 'readwrite', (s) => void s.delete(id));
};
export async function loadRuns(): Promise<StoredRun[]> {
  const all = ((await tx(RUNS, 'readonly', (s) => s.getAll())) ?? []) as StoredRun[];
  return all.filter((r) => r && typeof r.id === 'string' && Array.isArray(r.metrics)).sort((a, b) => a.createdAt - b.createdAt);
}

export const saveCheckpoint = (id: string, fileName: string, bytes: ArrayBuffer) => tx(CHECKPOINTS, 'readwrite', (s) => void s.put({ fileName, bytes }, id));
export const loadCheckpoint = async (id: string) => (await tx(CHECKPOINTS, 'readonly', (s) => s.get(id))) as { fileName: string; bytes: ArrayBuffer } | undefined;
export const checkpointIds = async () => ((await tx(CHECKPOINTS, 'readonly', (s) => s.getAllKeys())) ?? []).map(String);

/** Deletes the checkpoints kept for `ids` (all of them when `ids` is undefined). */
export const deleteCheckpoints = (ids?: string[]) => tx(CHECKPOINTS, 'readwrite', (s) => void (ids ? ids.forEach((id) => s.delete(id)) : s.clear()));

export interface StoreFigures {
  count: number;
  bytes: number;
}

/** How many runs and checkpoints are kept here and about how many bytes they take (runs: their JSON size). */
export async function storedFigures(): Promise<{ runs: StoreFigures; checkpoints: StoreFigures }> {
  const sum = (store: string, size: (v: unknown) => number) =>
    tx(store, 'readonly', (s) => s.getAll()).then((all) => {
      const list = (all ?? []) as unknown[];
      return { count: list.length, bytes: list.reduce<number>((n, v) => n + size(v), 0) };
    });
  const [runs, checkpoints] = await Promise.all([
    sum(RUNS, (v) => JSON.stringify(v).length),
    sum(CHECKPOINTS, (v) => (v as { bytes?: ArrayBuffer }).bytes?.byteLength ?? 0),
  ]);
  return { runs, checkpoints };
}
