// Tuning results kept in IndexedDB, one record per adapter and app version: tuning runs once per GPU, not once per
// visit. The key is everything that could change which kernel is fastest: what the adapter says of itself, its
// limits, the browser (and its major version: a new WebGPU implementation compiles WGSL differently) and this app's
// version and tuning format (new kernels or candidates: tune again). A record that fails to read is ignored.
import type { Gpu } from '../gpu/gpu';
import { browserOf } from '../gpu/gpu';
import { version as APP_VERSION } from '../../package.json';
import type { TuneResult } from './autotune';

/** Bump when the candidates, the kernels they name, or TuneResult change. */
export const TUNE_FORMAT = 1;
export const TUNING_DB_NAME = 'resnet-playground-tuning';
const STORE = 'tunings';

interface TuningRecord {
  key: string;
  savedAt: number;
  results: TuneResult[];
}

/** The browser and its major version from a user agent ('Chrome 142', 'Firefox 153'); 'Dawn' in Node. */
export function browserVersion(userAgent: string | undefined): string {
  const name = browserOf(userAgent) ?? 'unknown browser';
  const v = userAgent && new RegExp(`${name === 'Edge' ? 'Edg' : name === 'Chrome' ? 'Chrom(?:e|ium)' : name}/(\\d+)`).exec(userAgent);
  return v ? `${name} ${v[1]}` : name;
}

/** The cache key of this device: adapter, limits, browser, app version. */
export function tuningCacheKey(gpu: Gpu, userAgent = typeof navigator === 'undefined' ? undefined : navigator.userAgent): string {
  const limits = [
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
  ] as const;
  return JSON.stringify({
    adapter: [gpu.facts.vendor, gpu.facts.architecture, gpu.facts.description, gpu.facts.isFallbackAdapter ? 'fallback' : ''],
    limits: limits.map((k) => gpu.limits[k]),
    browser: browserVersion(userAgent),
    app: APP_VERSION,
    format: TUNE_FORMAT,
  });
}

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new DOMException('request failed', 'UnknownError'));
  });

function openDb(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('IndexedDB is not available here'));
  const r = indexedDB.open(TUNING_DB_NAME, 1);
  r.onupgradeneeded = () => {
    if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE, { keyPath: 'key' });
  };
  return request(r);
}

const valid = (x: unknown): x is TuningRecord =>
  !!x &&
  typeof (x as TuningRecord).key === 'string' &&
  Array.isArray((x as TuningRecord).results) &&
  (x as TuningRecord).results.every((r) => r && typeof r.model === 'string' && typeof r.choices === 'object' && Array.isArray(r.layers));

/** The results kept for this key, oldest first; [] when there are none or they cannot be read. */
export async function loadTunings(key: string): Promise<TuneResult[]> {
  try {
    const db = await openDb();
    try {
      const rec: unknown = await request(db.transaction(STORE).objectStore(STORE).get(key));
      return valid(rec) ? rec.results : [];
    } finally {
      db.close();
    }
  } catch {
    return [];
  }
}

/** Keeps `results` for this key (replacing what was kept). A browser that refuses costs only a re-tune next visit. */
export async function saveTunings(key: string, results: TuneResult[]): Promise<boolean> {
  try {
    const db = await openDb();
    try {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put({ key, savedAt: Date.now(), results } satisfies TuningRecord);
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('transaction failed'));
      });
      return true;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/** Forgets every tuning of every adapter (Storage: "Forget kernel tunings"). */
export async function clearTunings(): Promise<void> {
  const db = await openDb();
  try {
    await request(db.transaction(STORE, 'readwrite').objectStore(STORE).clear());
  } finally {
    db.close();
  }
}
