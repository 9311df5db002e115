// The decoded dataset cached in IndexedDB, so a reload does not decompress 170 MB again. One dataset
// is kept: saving replaces whatever was there. Records carry DATASET_CACHE_VERSION; bump it when the
// stored layout or the decoding changes, and older records are dropped on the next load.
import { IMAGE_BYTES, type Cifar10, type Split } from './cifar';
import { DatasetError } from './errors';

export const DATASET_CACHE_VERSION = 1;
export const DATASET_DB_NAME = 'resnet-playground-datasets';
const STORE = 'datasets';

interface StoredSplit {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}
interface StoredDataset {
  version: number;
  key: string;
  savedAt: number;
  classNames: string[];
  train: StoredSplit;
  test: StoredSplit;
}

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new DOMException('request failed', 'UnknownError'));
  });

const done = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new DOMException('transaction failed', 'UnknownError'));
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });

function openDb(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('IndexedDB is not available here'));
  const r = indexedDB.open(DATASET_DB_NAME, 1);
  r.onupgradeneeded = () => {
    if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
  };
  return request(r);
}

/** The bytes of a view in a buffer of their own (structured clone copies a view's whole buffer). */
const own = (a: Uint8Array) => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice());
const storeSplit = (s: Split): StoredSplit => ({ count: s.count, images: own(s.images), labels: own(s.labels) });

function validSplit(s: StoredSplit | undefined): s is StoredSplit {
  return (
    !!s &&
    Number.isInteger(s.count) &&
    s.images instanceof Uint8Array &&
    s.labels instanceof Uint8Array &&
    s.images.length === s.count * IMAGE_BYTES &&
    s.labels.length === s.count
  );
}

/** Stores `c` under `key` (e.g. the file's name, size and date, or the URL), replacing any cached dataset. */
export async function saveCachedDataset(key: string, c: Cifar10): Promise<void> {
  let db: IDBDatabase | undefined;
  try {
    db = await openDb();
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    const record: StoredDataset = {
      version: DATASET_CACHE_VERSION,
      key,
      savedAt: Date.now(),
      classNames: [...c.classNames],
      train: storeSplit(c.train),
      test: storeSplit(c.test),
    };
    store.clear();
    store.put(record, key);
    await done(tx);
  } catch (e) {
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const quota = e instanceof DOMException && e.name === 'QuotaExceededError' ? ' The browser has no room for it (about 190 MB for the full set).' : '';
    throw new DatasetError(
      'cache-failed',
      `Could not keep the decoded dataset in this browser (${why}).${quota} Training works anyway; the file will be read again after a reload.`,
      { cause: e },
    );
  } finally {
    db?.close();
  }
}

/** The dataset cached under `key`, or undefined (none, another key, an older version, or no IndexedDB). */
export async function loadCachedDataset(key: string): Promise<Cifar10 | undefined> {
  let db: IDBDatabase | undefined;
  try {
    db = await openDb();
    const tx = db.transaction(STORE, 'readonly');
    const record = (await request(tx.objectStore(STORE).get(key))) as StoredDataset | undefined;
    if (!record) return undefined;
    const ok =
      record.version === DATASET_CACHE_VERSION &&
      Array.isArray(record.classNames) &&
      record.classNames.length === 10 &&
      validSplit(record.train) &&
      validSplit(record.test);
    if (!ok) {
      const drop = db.transaction(STORE, 'readwrite');
      drop.objectStore(STORE).delete(key);
      await done(drop);
      return undefined;
    }
    return { classNames: record.classNames, train: record.train, test: record.test };
  } catch {
    return undefined; // a cache that cannot be read is a cache miss
  } finally {
    db?.close();
  }
}

/** Removes every cached dataset. */
export async function clearCachedDataset(): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  const db = await openDb();
  try {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).clear();
    await done(tx);
  } finally {
    db.close();
  }
}
