// The streaming tar reader under the CIFAR loader: names, bodies across chunk boundaries, checksums, truncation.
import { describe, expect, test } from 'vitest';
import { DatasetError } from '../../src/data/errors';
import { BLOCK, readTar, readTarFiles, tarHeaderProblem } from '../../src/data/tar';
import { writeTar } from '../support/tarWriter';

const enc = new TextEncoder();
const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 255);

/** Hands the archive on in pieces of `size` bytes (copies, like a network stream). */
async function* pieces(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield await Promise.resolve(data.slice(i, i + size));
}

function setChecksum(block: Uint8Array): void {
  block.fill(0x20, 148, 156);
  const sum = block.reduce((a, v) => a + v, 0);
  block.set(enc.encode(sum.toString(8).padStart(6, '0')), 148);
  block[154] = 0;
}

async function failure(p: Promise<unknown>): Promise<DatasetError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  return e as DatasetError;
}

const longName = `cifar-10-batches-bin/${'x'.repeat(120)}/data_batch_1.bin`;
const entries = [
  { name: 'dir/', type: '5' },
  { name: 'dir/empty.txt', data: new Uint8Array(0) },
  { name: 'dir/one-block.bin', data: bytes(512, 1) },
  { name: longName, data: bytes(3073 * 3, 2) },
  { name: 'dir/small.txt', data: enc.encode('hello') },
];
const archive = writeTar(entries);

describe('readTar', () => {
  test.each([1, 7, 511, 512, 513, 4096, archive.length])('round trip in %i-byte pieces, GNU long name', async (size) => {
    const got: { name: string; type: string; data?: Uint8Array }[] = [];
    for await (const e of readTar(pieces(archive, size)))
      got.push({ name: e.name, type: e.type, data: e.type === 'file' ? await e.bytes() : undefined });
    expect(got.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    expect(got[0].type).toBe('directory');
    entries.slice(1).forEach((e, i) => expect(got[i + 1].data).toEqual(e.data));
  });

  test('unread bodies are skipped; chunks() streams a body', async () => {
    const names: string[] = [];
    let small = '';
    for await (const e of readTar(pieces(archive, 100))) {
      names.push(e.name);
      if (e.name === 'dir/small.txt') for await (const c of e.chunks()) small += new TextDecoder().decode(c);
    }
    expect(names.length).toBe(5);
    expect(small).toBe('hello');
  });

  test('POSIX ustar prefix field and pax path header', async () => {
    const tar = writeTar([{ name: 'file.bin', data: bytes(10, 3) }]);
    const h = tar.subarray(0, BLOCK);
    h.set(enc.encode('ustar\u000000'), 257);
    h.set(enc.encode('some/prefix'), 345);
    setChecksum(h);
    expect((await readTarFiles(tar))[0].name).toBe('some/prefix/file.bin');

    const record = ' path=pax/long/name.bin\n';
    const paxBody = enc.encode(`${record.length + 2}${record}`);
    const withPax = writeTar([
      { name: 'PaxHeaders/x', type: 'x', data: paxBody },
      { name: 'short', data: bytes(5, 4) },
    ]);
    const files = await readTarFiles(withPax);
    expect(files.map((f) => f.name)).toEqual(['pax/long/name.bin']);
    expect(files[0].data).toEqual(bytes(5, 4));
  });

  test('a bad checksum in the first header: not-tar', async () => {
    const tar = archive.slice();
    tar[3] ^= 1;
    const e = await failure(readTarFiles(tar, { label: 'x.tar' }));
    expect(e.code).toBe('not-tar');
    expect(e.message).toMatch(/x\.tar is not a tar archive.*checksum/);
    expect(tarHeaderProblem(tar.subarray(0, BLOCK))).toMatch(/checksum/);
    expect(tarHeaderProblem(archive.subarray(0, BLOCK))).toBeUndefined();
  });

  test('a bad header later on: not-tar, saying where', async () => {
    const tar = archive.slice();
    tar[BLOCK * 2 + 5] ^= 1; // header of dir/one-block.bin
    const e = await failure(readTarFiles(tar));
    expect(e.code).toBe('not-tar');
    expect(e.message).toMatch(/header at byte 1024/);
  });

  test('random bytes and an empty stream: not-tar', async () => {
    expect((await failure(readTarFiles(bytes(2048, 9)))).code).toBe('not-tar');
    expect((await failure(readTarFiles(new Uint8Array(0)))).code).toBe('not-tar');
  });

  test('zeros are an empty archive (what `tar cf x.tar -T /dev/null` writes): no entries', async () => {
    expect(await readTarFiles(new Uint8Array(10240))).toEqual([]);
  });

  test.each([
    ['../x.bin', /climbs out/],
    ['a/../../x.bin', /climbs out/],
    ['a\\..\\x.bin', /climbs out/],
    ['/x.bin', /absolute/],
    ['\\x.bin', /absolute/],
    ['d:/x.bin', /absolute/],
  ])('entry name %s: unsafe-path', async (name, why) => {
    const e = await failure(
      readTarFiles(
        writeTar([
          { name: 'ok.bin', data: bytes(3, 1) },
          { name, data: bytes(3, 2) },
        ]),
        { label: 'x.tar' },
      ),
    );
    expect(e.code).toBe('unsafe-path');
    expect(e.message).toContain(`x.tar holds an entry named "${name}" (at byte 1024)`);
    expect(e.message).toMatch(why);
  });

  test.each(['a..b/x.bin', '..x', 'x../y.bin', 'c:x.bin'])('entry name %s is fine', async (name) => {
    expect((await readTarFiles(writeTar([{ name, data: bytes(3, 1) }])))[0].name).toBe(name);
  });

  test.each([
    ['in a header', 100],
    // Blocks: 0 dir, 1 empty.txt, 2-3 one-block.bin, 4-5 long-name record, 6 header and 7.. body of the long entry.
    ['in a body', BLOCK * 7 + 1000],
    ['in padding', BLOCK * 7 + 3073 * 3 + 50],
    ['before the end marker', archive.length - BLOCK * 2],
  ])('stream ends %s: truncated', async (_where, cut) => {
    const e = await failure(readTarFiles(pieces(archive.subarray(0, cut), 300)));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/cut short/);
  });
});
