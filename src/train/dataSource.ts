// Where the worker gets CIFAR-10 from (protocol DataSource): the dev/preview server's local archive, a URL,
// a file the user picked, or the browser cache (IndexedDB, src/data/cache.ts). A dataset read from a file,
// the server or a URL is cached afterwards, so the next page load can ask for { kind: 'cache' }.
import { loadCifar10, type Cifar10, type LoadProgress } from '../data/cifar';
import { loadCachedDataset, saveCachedDataset } from '../data/cache';
import { DatasetError } from '../data/errors';
import { SERVER_DATA_URL, type DataSource, type DatasetSummary, type WorkerEvent } from './protocol';
import { datasetQuotaEvent, isQuotaError } from './storage';

/** Where vite.config.ts serves the local archive (data/cifar-10-binary.tar.gz or $CIFAR10_TARBALL). */
export { SERVER_DATA_URL } from './protocol';
/** The cache holds one dataset; every source saves under this key, and { kind: 'cache' } loads it. */
export const CACHE_KEY = 'cifar10';

export class NoCachedDataError extends Error {
  override name = 'NoCachedDataError';
}

export interface Loaded {
  data: Cifar10;
  /** Words for the UI: 'local server', the URL, the file name, 'browser cache'. */
  source: string;
  /** False when the data came from the cache (no need to store it again). */
  cacheable: boolean;
}

export async function loadFromSource(
  source: DataSource,
  onProgress: (p: LoadProgress, phase: 'download' | 'decode') => void,
  base?: string,
): Promise<Loaded> {
  switch (source.kind) {
    case 'cache': {
      const data = await loadCachedDataset(CACHE_KEY);
      if (!data) throw new NoCachedDataError('No dataset is cached in this browser yet.');
      return { data, source: 'browser cache', cacheable: false };
    }
    case 'file': {
      const data = await loadCifar10(source.file, { name: source.name, onProgress: (p) => onProgress(p, 'decode') });
      return { data, source: source.name, cacheable: true };
    }
    case 'server':
    case 'url': {
      const url = source.kind === 'server' ? SERVER_DATA_URL : source.url;
      const server = source.kind === 'server';
      // The local server's archive comes from `npm run fetch-data` or CIFAR10_TARBALL (vite.config.ts).
      const noArchive =
        'Pick the file (cifar-10-binary.tar.gz), or run `npm run fetch-data` (or set CIFAR10_TARBALL) and restart the server.';
      let res: Response;
      try {
        res = await fetch(base ? new URL(url, base) : url);
      } catch (e) {
        throw new DatasetError(
          'fetch-failed',
          `Could not reach ${server ? 'the local server' : url} for CIFAR-10 (${(e as Error).message}).`,
          {
            cause: e,
            advice: server
              ? 'Check that the server is running, or pick the file.'
              : 'Check the address and the connection, or pick the file.',
          },
        );
      }
      if (!res.ok || !res.body) {
        throw server
          ? new DatasetError('fetch-failed', `The local server has no CIFAR-10 archive (${res.status} ${res.statusText} for ${url}).`, {
              advice: noArchive,
            })
          : new DatasetError('fetch-failed', `The address ${url} answered ${res.status} ${res.statusText}.`, {
              advice: 'Check the address, or download the file and pick it.',
            });
      }
      if ((res.headers.get('Content-Type') ?? '').includes('text/html')) {
        // A dev server without the archive answers unknown paths with the app's page.
        throw server
          ? new DatasetError('fetch-failed', `The local server has no CIFAR-10 archive (it answered ${url} with a web page).`, {
              advice: noArchive,
            })
          : new DatasetError('fetch-failed', `The address ${url} is a web page, not a CIFAR-10 archive.`, { advice: 'Check the address.' });
      }
      const label = server ? 'the local server' : url;
      const length = Number(res.headers.get('Content-Length'));
      const totalBytes = Number.isFinite(length) && length > 0 ? length : undefined;
      const name = source.kind === 'server' ? 'cifar10.tar.gz (local server)' : url.slice(url.lastIndexOf('/') + 1) || url;
      const data = await loadCifar10(res.body, { name, totalBytes, onProgress: (p) => onProgress(p, 'download') });
      return { data, source: label, cacheable: true };
    }
    default:
      return source satisfies never;
  }
}

/** Counts and a few training images per class for the UI. */
export function summarise(data: Cifar10, source: string, perClass = 4): DatasetSummary {
  const picked: number[] = [];
  const seen = new Array<number>(data.classNames.length).fill(0);
  for (let i = 0; i < data.train.count && picked.length < perClass * seen.length; i++) {
    const l = data.train.labels[i];
    if (seen[l] < perClass) {
      seen[l]++;
      picked.push(i);
    }
  }
  const pixels = new Uint8Array(picked.length * 3072);
  const labels = new Uint8Array(picked.length);
  picked.forEach((i, k) => {
    pixels.set(data.train.images.subarray(i * 3072, (i + 1) * 3072), k * 3072);
    labels[k] = data.train.labels[i];
  });
  return {
    classNames: [...data.classNames],
    trainCount: data.train.count,
    testCount: data.test.count,
    samples: { pixels, labels },
    source,
  };
}

/**
 * Stores the dataset under CACHE_KEY without waiting: 'cache' progress at the start and at the end (also when it
 * fails, so the page stops showing "saving a copy"). A full browser storage (QuotaExceededError) is posted as a
 * 'storage-full' error; nothing is thrown, and training goes on. Resolves with the bytes kept (0 when none).
 */
export function cacheInBackground(data: Cifar10, post: (e: WorkerEvent) => void): Promise<number> {
  const bytes = data.train.images.length + data.test.images.length;
  const imagesDecoded = data.train.count + data.test.count;
  const end = (kept: boolean) => post({ type: 'dataProgress', bytesRead: bytes, totalBytes: bytes, imagesDecoded, phase: 'cache', kept });
  post({ type: 'dataProgress', bytesRead: 0, totalBytes: bytes, imagesDecoded, phase: 'cache' });
  return saveCachedDataset(CACHE_KEY, data).then(
    () => (end(true), bytes),
    (e: unknown) => {
      end(false);
      if (isQuotaError(e)) post(datasetQuotaEvent(bytes));
      else console.warn(`dataset not cached: ${(e as Error).message}`);
      return 0;
    },
  );
}
