// The IndexedDB dataset cache, in Chromium (no GPU needed): round trip, keys, versioning, clearing;
// and the loader's error codes under Chromium's own DecompressionStream.
import { afterEach, describe, expect, test } from 'vitest';
import { CIFAR10_CLASS_NAMES, IMAGE_BYTES, type Cifar10, type Split } from '../../src/data/cifar';
import { DATASET_CACHE_VERSION, DATASET_DB_NAME, clearCachedDataset, loadCachedDataset, saveCachedDataset } from '../../src/data/cache';
import { loadCifar10 } from '../../src/data/cifar';
import { DatasetError } from '../../src/data/errors';
import { writeTar } from '../support/tarWriter';

function split(count: number, seed: number): Split {
  const images = new Uint8Array(count * IMAGE_BYTES).map((_, i) => (i * 13 + seed) & 255);
  const labels = new Uint8Array(count).map((_, i) => (i + seed) % 10);
  return { count, images, labels };
}
const dataset = (seed = 1): Cifar10 => ({ classNames: [...CIFAR10_CLASS_NAMES], train: split(5, seed), test: split(3, seed + 1) });

describe('dataset cache (IndexedDB)', () => {
  afterEach(() => clearCachedDataset());

  test('round trip: the same names, counts, images and labels', async () => {
    const c = dataset();
    await saveCachedDataset('file:a.tar.gz:170052171', c);
    const back = await loadCachedDataset('file:a.tar.gz:170052171');
    expect(back).toBeDefined();
    expect(back!.classNames).toEqual(c.classNames);
    for (const s of ['train', 'test'] as const) {
      expect(back![s].count).toBe(c[s].count);
      expect(back![s].images).toEqual(c[s].images);
      expect(back![s].labels).toEqual(c[s].labels);
    }
  });

  test('another key misses; saving replaces the previous dataset', async () => {
    await saveCachedDataset('a', dataset(1));
    expect(await loadCachedDataset('b')).toBeUndefined();
    await saveCachedDataset('b', dataset(2));
    expect(await loadCachedDataset('a')).toBeUndefined();
    expect((await loadCachedDataset('b'))!.train.labels).toEqual(dataset(2).train.labels);
  });

  test('views into larger buffers are stored as just their bytes', async () => {
    const big = split(10, 3);
    const c = dataset();
    c.train = { count: 4, images: big.images.subarray(2 * IMAGE_BYTES, 6 * IMAGE_BYTES), labels: big.labels.subarray(2, 6) };
    await saveCachedDataset('views', c);
    const back = await loadCachedDataset('views');
    expect(back!.train.images.buffer.byteLength).toBe(4 * IMAGE_BYTES);
    expect(back!.train.images).toEqual(c.train.images);
  });

  test('a record of another version is dropped', async () => {
    await saveCachedDataset('old', dataset());
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(DATASET_DB_NAME);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('indexedDB.open failed'));
    });
    const tx = db.transaction('datasets', 'readwrite');
    const store = tx.objectStore('datasets');
    const get = store.get('old');
    await new Promise((resolve) => (get.onsuccess = resolve));
    store.put({ ...get.result, version: DATASET_CACHE_VERSION - 1 }, 'old');
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
    expect(await loadCachedDataset('old')).toBeUndefined();
  });

  test('clear removes it', async () => {
    await saveCachedDataset('k', dataset());
    await clearCachedDataset();
    expect(await loadCachedDataset('k')).toBeUndefined();
  });
});

// Chromium's DecompressionStream words its errors differently from Node's; the codes must not change.
describe('loadCifar10 in the browser', () => {
  const gzip = async (data: Uint8Array) =>
    new Uint8Array(await new Response(new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
  const record = (label: number) => new Uint8Array(3073).fill(label + 1).fill(label, 0, 1);
  const archive = () =>
    writeTar([
      { name: 'cifar-10-batches-bin/data_batch_1.bin', data: new Uint8Array([...record(1), ...record(2)]) },
      { name: 'cifar-10-batches-bin/test_batch.bin', data: record(3) },
    ]);
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof DatasetError ? e.code : String(e)),
    );

  test('a File from a picker decodes; truncated and damaged gzip get their codes', async () => {
    const tgz = await gzip(archive());
    const c = await loadCifar10(new File([tgz], 'cifar.tar.gz'));
    expect([c.train.count, c.test.count, c.train.labels[1], c.train.images[3071]]).toEqual([2, 1, 2, 2]);
    expect(await code(loadCifar10(tgz.subarray(0, tgz.length - 5)))).toBe('truncated');
    expect(await code(loadCifar10(tgz.subarray(0, 40)))).toBe('truncated');
    const bad = tgz.slice();
    bad.fill(0xff, 30, 50);
    expect(await code(loadCifar10(bad))).toBe('corrupt-gzip');
    expect(await code(loadCifar10(await gzip(new Uint8Array(3000).fill(7))))).toBe('not-tar');
  });
});
