// CIFAR-10 from the official binary tarball (cifar-10-binary.tar.gz) or any archive with the same
// layout and a subset of the batches. One pass over the stream: gzip -> tar -> records, decoded
// straight into the output arrays as the bytes arrive, so the archive is never held whole. Peak
// memory is the decoded training batches plus their concatenation (about 2 copies of the data).
//
// Record format: 1 label byte, then 1024 red, 1024 green, 1024 blue bytes (32x32, row-major).
import { Rng } from '../util/rng';
import { DatasetError } from './errors';
import { chunksOf, nameOf, peek, sizeOf, type ByteSource } from './streams';
import { checkedGunzip } from './checkedGunzip';
import { readTar, tarHeaderProblem, type TarEntry } from './tar';

export const IMAGE_SIZE = 32;
export const IMAGE_BYTES = 3 * IMAGE_SIZE * IMAGE_SIZE;
export const RECORD_BYTES = IMAGE_BYTES + 1;
export const NUM_CLASSES = 10;
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';

export interface Split {
  count: number;
  /** count * 3072 bytes: per image the R, G, B planes (CHW), exactly the record bytes after the label. */
  images: Uint8Array;
  /** count labels, 0..9. */
  labels: Uint8Array;
}

export interface Cifar10 {
  classNames: string[];
  train: Split;
  test: Split;
}

export type CifarSource = ReadableStream<Uint8Array> | Blob | ArrayBuffer | Uint8Array;

export interface LoadProgress {
  /** Bytes read from the source (compressed bytes for a .tar.gz). */
  bytesRead: number;
  totalBytes?: number;
  imagesDecoded: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Size of the source, when it cannot tell (a stream; e.g. from Content-Length). */
  totalBytes?: number;
  /** How messages name the file; defaults to a File's name. */
  name?: string;
  signal?: AbortSignal;
}

/** Progress is reported about every this many source bytes, after each batch, and at the end. */
const PROGRESS_STEP = 1 << 20;

// Limits against files that would exhaust memory (a gzip bomb, or a header that declares gigabytes). The official
// archive unpacks to 184 MB: six batches of 10,000 records, a 61-byte batches.meta.txt and a small readme.html.
/** The most records a batch may declare (the official batches hold exactly this many). */
export const MAX_BATCH_RECORDS = 10_000;
/** The most bytes the tar inside the file may hold, counted as they are unpacked. */
export const MAX_UNPACKED_BYTES = 256 * 2 ** 20;
const MAX_META_BYTES = 1 << 20;

const fmtBytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${n} bytes`);

const HINT = 'Pick cifar-10-binary.tar.gz, the "CIFAR-10 binary version" from https://www.cs.toronto.edu/~kriz/cifar.html.';

class Progress {
  bytesRead = 0;
  imagesDecoded = 0;
  private reported = -Infinity;
  constructor(
    private readonly callback: LoadOptions['onProgress'],
    private readonly totalBytes: number | undefined,
  ) {}
  addBytes(n: number) {
    this.bytesRead += n;
    if (this.bytesRead - this.reported >= PROGRESS_STEP) this.report();
  }
  report() {
    this.reported = this.bytesRead;
    this.callback?.({ bytesRead: this.bytesRead, totalBytes: this.totalBytes, imagesDecoded: this.imagesDecoded });
  }
}

/** The source's chunks, counted; a failure of the source itself (not of its contents) becomes 'read-failed'. */
async function* counted(chunks: AsyncIterator<Uint8Array>, progress: Progress, label: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await chunks.next();
      } catch (e) {
        if (e instanceof DatasetError || (e as Error)?.name === 'AbortError') throw e;
        const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        throw new DatasetError(
          'read-failed',
          `Reading ${label} failed after ${fmtBytes(progress.bytesRead)} (${why}). The connection dropped or the file changed while it was read; try again.`,
          { file: label, cause: e },
        );
      }
      if (r.done) return;
      signal?.throwIfAborted();
      progress.addBytes(r.value.length);
      yield r.value;
    }
  } finally {
    await chunks.return?.(undefined);
  }
}

/** The unpacked tar bytes, refused past MAX_UNPACKED_BYTES: memory and time stay bounded whatever the file inflates to. */
async function* bounded(chunks: AsyncIterable<Uint8Array>, label: string): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > MAX_UNPACKED_BYTES) {
      throw new DatasetError(
        'too-large',
        `${label} unpacks to more than ${fmtBytes(MAX_UNPACKED_BYTES)}, and the CIFAR-10 binary archive unpacks to 184 MB: ` +
          `it is not CIFAR-10, or it was made to fill memory (a "gzip bomb"). Reading stopped there. ${HINT}`,
        { file: label },
      );
    }
    yield chunk;
  }
}

/** Refuses an entry by its declared size, before any of its body is read (or any memory is set aside for it). */
function checkDeclaredSize(entry: TarEntry, kind: 'batch' | 'meta' | 'other', archive: string): void {
  const limit = kind === 'batch' ? MAX_BATCH_RECORDS * RECORD_BYTES : kind === 'meta' ? MAX_META_BYTES : MAX_UNPACKED_BYTES;
  if (entry.size <= limit) return;
  const what =
    kind === 'batch'
      ? `a CIFAR-10 batch holds at most ${MAX_BATCH_RECORDS} images (${limit} bytes)`
      : kind === 'meta'
        ? 'the class-name list is a few lines'
        : `the whole CIFAR-10 archive unpacks to 184 MB`;
  throw new DatasetError(
    'too-large',
    `In ${archive}, ${entry.name} declares ${entry.size} bytes (${fmtBytes(entry.size)}), but ${what}. ` +
      'The file is damaged or not CIFAR-10 binary data; it was refused before reading it.',
    { file: entry.name },
  );
}

function notGzip(label: string, head: Uint8Array): DatasetError {
  const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  let what = '';
  if (head.every((b) => b === 0)) what = ', and holds only zeros: an empty tar archive, or a file whose data was never written';
  else if (head[0] === 0x50 && head[1] === 0x4b) what = ', a zip archive';
  else if (head[0] === 0x3c || (head[0] === 0xef && head[3] === 0x3c)) what = ', which looks like a web page, not the dataset';
  return new DatasetError('not-gzip', `${label} is not a gzip file (it starts with bytes ${hex}${what}). ${HINT}`, { file: label });
}

/** Decodes one batch entry as its bytes arrive. */
async function decodeBatch(entry: TarEntry, progress: Progress, archive: string): Promise<Split> {
  const file = entry.name;
  if (entry.size === 0 || entry.size % RECORD_BYTES !== 0) {
    const whole = Math.floor(entry.size / RECORD_BYTES);
    const cifar100 = entry.size > 0 && entry.size % (RECORD_BYTES + 1) === 0 ? ' It looks like CIFAR-100 (3,074-byte records), which this app does not read.' : '';
    throw new DatasetError(
      'bad-batch-size',
      `In ${archive}, ${file} is ${entry.size} bytes, not a whole number of CIFAR-10 records ` +
        `(${RECORD_BYTES} bytes each: 1 label byte + ${IMAGE_BYTES} pixel bytes; ${entry.size} = ${whole} x ${RECORD_BYTES} + ${entry.size - whole * RECORD_BYTES}). ` +
        `The file is damaged or not CIFAR-10 binary data.${cifar100}`,
      { file },
    );
  }
  const count = entry.size / RECORD_BYTES;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let pos = 0;
  for await (const chunk of entry.chunks()) {
    let i = 0;
    while (i < chunk.length) {
      const record = Math.floor(pos / RECORD_BYTES);
      const off = pos - record * RECORD_BYTES;
      if (off === 0) {
        const label = chunk[i];
        if (label >= NUM_CLASSES) {
          throw new DatasetError(
            'bad-label',
            `In ${archive}, ${file}, record ${record} (byte ${pos}): label ${label} is outside 0..9. The file is damaged or not CIFAR-10 binary data.`,
            { file, record },
          );
        }
        labels[record] = label;
        i++;
        pos++;
        continue;
      }
      const n = Math.min(RECORD_BYTES - off, chunk.length - i);
      images.set(chunk.subarray(i, i + n), record * IMAGE_BYTES + off - 1);
      i += n;
      pos += n;
      if (off + n === RECORD_BYTES) progress.imagesDecoded++;
    }
  }
  progress.report();
  return { count, images, labels };
}

function parseClassNames(bytes: Uint8Array): string[] {
  const names = new TextDecoder()
    .decode(bytes)
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return names.length >= NUM_CLASSES ? names.slice(0, NUM_CLASSES) : [...CIFAR10_CLASS_NAMES];
}

/** Joins splits in order (no copy for one). */
export function concatSplits(parts: Split[]): Split {
  if (parts.length === 1) return parts[0];
  const count = parts.reduce((n, p) => n + p.count, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * IMAGE_BYTES);
    labels.set(p.labels, at);
    at += p.count;
  }
  return { count, images, labels };
}

function missingFiles(label: string, train: Map<number, Split>, hasTest: boolean, seen: string[]): DatasetError {
  const missing = [train.size === 0 ? 'data_batch_1.bin ... data_batch_5.bin (at least one)' : '', hasTest ? '' : 'test_batch.bin'].filter(Boolean).join(' and ');
  const listed = seen.length === 0 ? 'no files at all (an empty tar archive)' : `${seen.slice(0, 8).join(', ')}${seen.length > 8 ? `, and ${seen.length - 8} more` : ''}`;
  const python = seen.some((n) => /(^|\/)(data_batch_\d+|test_batch)$/.test(n));
  const advice = python ? 'This looks like the Python version of CIFAR-10 (cifar-10-python.tar.gz). ' + HINT : HINT;
  return new DatasetError('no-cifar-files', `${label} has no CIFAR-10 ${missing}. It holds ${listed}. ${advice}`, { file: label });
}

/** Reads, checks and decodes a CIFAR-10 binary archive (.tar.gz, or a plain .tar). */
export async function loadCifar10(source: CifarSource, opts: LoadOptions = {}): Promise<Cifar10> {
  const label = opts.name ?? nameOf(source as ByteSource) ?? 'the dataset file';
  const progress = new Progress(opts.onProgress, opts.totalBytes ?? sizeOf(source as ByteSource));
  opts.signal?.throwIfAborted();
  const { head, rest } = await peek(counted(chunksOf(source as ByteSource), progress, label, opts.signal), 512);
  let tarBytes: AsyncGenerator<Uint8Array>;
  let tarLabel = label;
  if (head.length === 0) {
    await rest.return(undefined);
    throw new DatasetError('empty', `${label} is empty (0 bytes). ${HINT}`, { file: label });
  } else if (head[0] === 0x1f && head[1] === 0x8b) {
    tarBytes = checkedGunzip(rest, label);
    tarLabel = `${label} (after gzip decompression)`;
  } else if (!tarHeaderProblem(head)) {
    tarBytes = rest; // already a plain tar
  } else {
    await rest.return(undefined);
    throw notGzip(label, head);
  }

  const train = new Map<number, Split>();
  let test: Split | undefined;
  let classNames = [...CIFAR10_CLASS_NAMES];
  const seen: string[] = [];
  try {
    for await (const entry of readTar(bounded(tarBytes, tarLabel), { label: tarLabel })) {
      if (entry.type !== 'file') continue;
      seen.push(entry.name);
      const base = entry.name.slice(entry.name.lastIndexOf('/') + 1);
      const batch = /^data_batch_(\d+)\.bin$/.exec(base);
      checkDeclaredSize(entry, batch || base === 'test_batch.bin' ? 'batch' : base === 'batches.meta.txt' ? 'meta' : 'other', label);
      if (batch || base === 'test_batch.bin') {
        const n = batch ? Number(batch[1]) : 0;
        if (batch ? train.has(n) : test) {
          throw new DatasetError('duplicate-file', `${label} holds ${base} twice (the second is ${entry.name}). Use an archive with one copy of each batch.`, {
            file: entry.name,
          });
        }
        const split = await decodeBatch(entry, progress, label);
        if (batch) train.set(n, split);
        else test = split;
      } else if (base === 'batches.meta.txt') {
        classNames = parseClassNames(await entry.bytes());
      }
    }
  } catch (e) {
    if (e instanceof DatasetError && e.code === 'not-tar') {
      throw new DatasetError('not-tar', `${e.message} ${HINT}`, { file: label, cause: e });
    }
    throw e;
  }
  if (train.size === 0 || !test) throw missingFiles(label, train, test !== undefined, seen);
  const parts = [...train.keys()].sort((a, b) => a - b).map((k) => train.get(k)!);
  train.clear();
  const result = { classNames, train: concatSplits(parts), test };
  progress.report();
  return result;
}

/**
 * Per-channel mean and population standard deviation over every pixel of a split, on the 0..1 scale; over the
 * images at `ids` only when given (each id counted as often as it appears).
 */
export function channelStats(
  split: Split,
  ids?: ArrayLike<number>,
): { mean: [number, number, number]; std: [number, number, number] } {
  const count = ids ? ids.length : split.count;
  if (count === 0) throw new RangeError(ids ? 'channelStats: no image ids given' : 'channelStats: the split has no images');
  const plane = IMAGE_BYTES / 3;
  // A histogram per channel keeps the sums exact (so the order of the images does not matter) and the loop cheap.
  const hist = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
  const { images } = split;
  for (let k = 0; k < count; k++) {
    const n = ids ? ids[k] : k;
    if (ids && !(Number.isInteger(n) && n >= 0 && n < split.count)) {
      throw new RangeError(`channelStats: image id ${n} is not in 0..${split.count - 1}`);
    }
    for (let c = 0; c < 3; c++) {
      const h = hist[c];
      const base = n * IMAGE_BYTES + c * plane;
      for (let i = base; i < base + plane; i++) h[images[i]]++;
    }
  }
  const pixels = count * plane;
  const mean: [number, number, number] = [0, 0, 0];
  const std: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    for (let v = 0; v < 256; v++) sum += v * hist[c][v];
    const m = sum / pixels;
    let sq = 0;
    for (let v = 0; v < 256; v++) sq += (v - m) * (v - m) * hist[c][v];
    mean[c] = m / 255;
    std[c] = Math.sqrt(sq / pixels) / 255;
  }
  return { mean, std };
}

/** The images at `indices`, in that order (a copy). */
export function gatherSplit(split: Split, indices: ArrayLike<number>): Split {
  const count = indices.length;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    const i = indices[k];
    images.set(split.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), k * IMAGE_BYTES);
    labels[k] = split.labels[i];
  }
  return { count, images, labels };
}

/**
 * Holds out `valCount` training images, chosen by a seeded shuffle (the paper: 45k train / 5k val).
 * Both parts keep the original order of the images they hold.
 */
export function splitTrainVal(c: Cifar10, valCount: number, seed: number): { train: Split; val: Split } {
  if (!Number.isInteger(valCount) || valCount < 0 || valCount >= c.train.count) {
    throw new RangeError(`splitTrainVal: valCount must be an integer in 0..${c.train.count - 1}, got ${valCount}`);
  }
  const order = new Rng(seed).permutation(c.train.count);
  const val = order.slice(0, valCount).sort();
  const train = order.slice(valCount).sort();
  return { train: gatherSplit(c.train, train), val: gatherSplit(c.train, val) };
}
