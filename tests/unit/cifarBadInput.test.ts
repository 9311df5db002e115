// Bad CIFAR-10 files beyond the common ones of cifar.test.ts: each case checks the message the user sees (it names
// the file and says what is wrong with it). Gzip bombs are built here without writing gigabytes: a run of zeros
// compresses about 1000x, and a tar header may declare any size without the bytes behind it.
import { createGzip, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { MAX_UNPACKED_BYTES, RECORD_BYTES, loadCifar10 } from '../../src/data/cifar';
import { BLOCK } from '../../src/data/tar';
import { writeTar } from '../support/tarWriter';
import { batch, dir, expectCode, goodEntries, tgz } from './cifarFixture';

const enc = new TextEncoder();

/** A lone tar header for `name` that declares `size` bytes (none follow it). */
function tarHeader(name: string, size: number): Uint8Array {
  const h = writeTar([{ name, data: new Uint8Array(0) }]).slice(0, BLOCK);
  h.set(enc.encode(size.toString(8).padStart(11, '0')), 124);
  h[135] = 0;
  h.fill(0x20, 148, 156);
  h.set(
    enc.encode(
      h
        .reduce((a, v) => a + v, 0)
        .toString(8)
        .padStart(6, '0'),
    ),
    148,
  );
  h[154] = 0;
  return h;
}

/** gzip of the parts in order, a number standing for that many zero bytes (streamed: never held unpacked). */
async function gzipParts(parts: (Uint8Array | number)[]): Promise<Uint8Array> {
  const z = createGzip({ level: 9 });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => z.on('end', resolve));
  const zeros = new Uint8Array(1 << 20);
  for (const p of parts) {
    if (typeof p !== 'number') z.write(p);
    else for (let left = p; left > 0; left -= zeros.length) z.write(zeros.subarray(0, Math.min(left, zeros.length)));
  }
  z.end();
  await ended;
  return new Uint8Array(Buffer.concat(out));
}

/** Loads `source` while sampling memory held in ArrayBuffers; returns the error and the peak growth in bytes. */
async function loadMeasured(source: Uint8Array): Promise<{ error: unknown; peakGrowth: number; samples: number }> {
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  let samples = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    samples++;
  }, 2);
  const error = await loadCifar10(source, { name: 'bad.tar.gz' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  clearInterval(timer);
  return { error, peakGrowth: peak - base, samples };
}

describe('not CIFAR-10 at all', () => {
  test('a gzip header followed by garbage: corrupt-gzip', async () => {
    const garbage = new Uint8Array(4000).map((_, i) => (i * 2654435761) >>> 24);
    const e = await expectCode(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, ...garbage]), 'corrupt-gzip');
    expect(e.message).toMatch(/^bad\.tar\.gz is a damaged gzip file \(.+\)\. Get the file again\.$/);
  });

  test('only the two gzip magic bytes: truncated', async () => {
    await expectCode(Uint8Array.from([0x1f, 0x8b]), 'truncated', /bad\.tar\.gz is cut short: the gzip stream ends early/);
  });

  test('gzip of nothing: not-tar, saying it is empty', async () => {
    await expectCode(
      new Uint8Array(gzipSync(new Uint8Array(0))),
      'not-tar',
      /bad\.tar\.gz \(after gzip decompression\) is empty: it holds no tar archive/,
    );
  });

  test('an empty tar archive, gzipped or plain', async () => {
    const empty = new Uint8Array(10240); // what `tar cf x.tar -T /dev/null` writes
    await expectCode(
      new Uint8Array(gzipSync(empty)),
      'no-cifar-files',
      /bad\.tar\.gz has no CIFAR-10 .* It holds no files at all \(an empty tar archive\)/,
    );
    await expectCode(
      empty,
      'not-gzip',
      /bad\.tar\.gz is not a gzip file .*only zeros: an empty tar archive, or a file whose data was never written/,
    );
  });
});

describe('wrong records', () => {
  test('label 255: bad-label naming file, record and byte', async () => {
    const entries = [...goodEntries(), { name: `${dir}data_batch_3.bin`, data: batch([0, 255]) }];
    await expectCode(
      tgz(entries),
      'bad-label',
      /In bad\.tar\.gz, cifar-10-batches-bin\/data_batch_3\.bin, record 1 \(byte 3073\): label 255 is outside 0\.\.9/,
    );
  });

  test('CIFAR-100 records (3,074 bytes): bad-batch-size that says so', async () => {
    const entries = [...goodEntries(), { name: `${dir}data_batch_3.bin`, data: new Uint8Array(3074 * 2) }];
    await expectCode(
      tgz(entries),
      'bad-batch-size',
      /data_batch_3\.bin is 6148 bytes, not a whole number of CIFAR-10 records.*looks like CIFAR-100/,
    );
  });

  test('an empty batch: bad-batch-size', async () => {
    const entries = [...goodEntries(), { name: `${dir}data_batch_3.bin`, data: new Uint8Array(0) }];
    await expectCode(tgz(entries), 'bad-batch-size', /data_batch_3\.bin is 0 bytes/);
  });
});

describe('entry names', () => {
  test.each([
    ['../../data_batch_1.bin', 'climbs out of the archive'],
    ['cifar-10-batches-bin/../../../test_batch.bin', 'climbs out of the archive'],
    ['/etc/cifar-10-batches-bin/data_batch_1.bin', 'an absolute path'],
    ['C:\\data\\data_batch_1.bin', 'an absolute path'],
  ])('%s: unsafe-path', async (name, why) => {
    const entries = [...goodEntries(), { name, data: batch([1]) }];
    const e = await expectCode(tgz(entries), 'unsafe-path');
    expect(e.message).toContain(`bad.tar.gz (after gzip decompression) holds an entry named "${name}"`);
    expect(e.message).toContain(why);
    expect(e.message).toMatch(/the file is damaged or was made to write outside its folder, so it is refused\.$/);
  });

  test('names that only look alike are fine', async () => {
    const entries = [...goodEntries(), { name: `${dir}..notes/a..b.txt`, data: enc.encode('x') }];
    expect((await loadCifar10(tgz(entries))).train.count).toBe(6);
  });
});

describe('gzip bombs and absurd sizes', () => {
  // Only the header is there: reading the body would end in 'truncated', so 'too-large' proves it was refused first.
  test.each([
    ['a batch', `${dir}data_batch_1.bin`, 3073 * 2_600_000, /a CIFAR-10 batch holds at most 10000 images \(30730000 bytes\)/],
    ['the class names', `${dir}batches.meta.txt`, 8e9, /the class-name list is a few lines/],
    ['any other file', `${dir}readme.html`, 8e9, /the whole CIFAR-10 archive unpacks to 184 MB/],
  ])('%s declaring 8 GB: too-large, before reading', async (_, name, size, why) => {
    const bytes = new Uint8Array(gzipSync(tarHeader(name, size)));
    const e = await expectCode(bytes, 'too-large');
    expect(e.message).toContain(`In bad.tar.gz, ${name} declares ${size} bytes (${(size / 1e9).toFixed(1)} GB), but `);
    expect(e.message).toMatch(why);
    expect(e.message).toMatch(/refused before reading it\.$/);
    expect(e.file).toBe(name);
  });

  test('a batch one record over the limit is refused; one at the limit is read', async () => {
    await expectCode(
      new Uint8Array(gzipSync(tarHeader(`${dir}test_batch.bin`, RECORD_BYTES * 10_001))),
      'too-large',
      /declares 30733073 bytes/,
    );
    // At the limit the body is read, so this one fails only because the body is missing.
    await expectCode(new Uint8Array(gzipSync(tarHeader(`${dir}test_batch.bin`, RECORD_BYTES * 10_000))), 'truncated');
  });

  test.each([
    // Two entries each under the per-entry limit, together past the whole-archive one.
    ['two large files', (half: number) => [tarHeader('filler-1.bin', half), half, tarHeader('filler-2.bin', half), half, BLOCK * 2]],
    // A small valid archive, then zeros after the end-of-archive marker (a reader that drains the rest would go on).
    ['zeros after the end of the archive', (half: number) => [writeTar(goodEntries()), 2 * half]],
  ])(
    '%s inflating past the limit: too-large, with bounded memory',
    async (_, parts) => {
      const half = Math.ceil((MAX_UNPACKED_BYTES * 1.1) / 2 / BLOCK) * BLOCK;
      const bytes = await gzipParts(parts(half));
      expect(bytes.length).toBeLessThan(MAX_UNPACKED_BYTES / 500); // the file itself is small
      const { error, peakGrowth, samples } = await loadMeasured(bytes);
      const e = error as { code?: string; message?: string };
      expect(e.code, e.message).toBe('too-large');
      expect(e.message).toMatch(
        /^bad\.tar\.gz \(after gzip decompression\) unpacks to more than 268\.4 MB, and the CIFAR-10 binary archive unpacks to 184 MB: it is not CIFAR-10, or it was made to fill memory/,
      );
      expect(samples).toBeGreaterThan(10);
      // 295 MB went through; a streaming reader holds a few chunks of it at a time (about 30 MB measured, with GC lag).
      expect(peakGrowth).toBeLessThan(100 * 2 ** 20);
    },
    120_000,
  );
});

describe('the source fails mid-way', () => {
  test.each([
    ['gzip', true],
    ['plain tar', false],
  ])('%s: read-failed, saying how far it got', async (_, gzip) => {
    const whole = gzip ? tgz(goodEntries()) : writeTar(goodEntries());
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent) return ctrl.error(new TypeError('network error'));
        ctrl.enqueue(whole.slice(0, Math.floor(whole.length / 2)));
        sent = true;
      },
    });
    const e = await expectCode(stream, 'read-failed');
    expect(e.message).toMatch(
      /^Reading bad\.tar\.gz failed after \d+ bytes \(TypeError: network error\)\. The connection dropped or the file changed while it was read; try again\.$/,
    );
  });
});

describe.each([
  ['AbortError', () => new DOMException('The operation was aborted. ', 'AbortError')],
  ['TypeError', () => new TypeError('Failed to decompress')],
])('a decoder that says nothing (Firefox: the same %s for every failure)', (_, failure) => {
  // Node's DecompressionStream with its error replaced by Firefox's: the input alone must tell the two apart.
  const Real = globalThis.DecompressionStream;
  class Silent {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
    constructor(format: CompressionFormat) {
      const real = new Real(format);
      this.writable = real.writable as WritableStream<Uint8Array>;
      const r = (real.readable as ReadableStream<Uint8Array>).getReader();
      this.readable = new ReadableStream<Uint8Array>({
        async pull(ctl) {
          try {
            const { done, value } = await r.read();
            if (done) ctl.close();
            else ctl.enqueue(value);
          } catch {
            ctl.error(failure());
          }
        },
        cancel: (reason) => r.cancel(reason),
      });
    }
  }
  const silently = async (f: () => Promise<unknown>) => {
    globalThis.DecompressionStream = Silent as unknown as typeof DecompressionStream;
    try {
      return await f();
    } finally {
      globalThis.DecompressionStream = Real;
    }
  };

  test('cut short: truncated; damaged data with its trailer: corrupt-gzip; a good file still loads', async () => {
    const whole = tgz(goodEntries());
    await silently(() => expectCode(whole.subarray(0, whole.length - 5), 'truncated', /cut short/));
    await silently(() => expectCode(whole.subarray(0, 40), 'truncated', /cut short/));
    const bad = whole.slice();
    bad.fill(0xff, 30, 50);
    await silently(() => expectCode(bad, 'corrupt-gzip', /damaged gzip/));
    const c = (await silently(() => loadCifar10(whole, { name: 'good.tar.gz' }))) as Awaited<ReturnType<typeof loadCifar10>>;
    expect(c.test.count).toBe(2);
  });
});
