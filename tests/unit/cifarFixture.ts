// Synthetic CIFAR-10 archives for the loader tests (cifar.test.ts, cifarBadInput.test.ts): batches whose images
// carry their own index, a good archive in scrambled order, and a check that a load fails with a given code.
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { IMAGE_BYTES, RECORD_BYTES, loadCifar10 } from '../../src/data/cifar';
import { DatasetError, type DatasetErrorCode } from '../../src/data/errors';
import { writeTar, type TarInput } from '../support/tarWriter';

/** A batch whose image i has every pixel byte = (i * 7 + c) & 255 at channel c, byte 0 = i & 255, byte 1 = i >> 8. */
export function batch(labels: number[], first = 0): Uint8Array {
  const out = new Uint8Array(labels.length * RECORD_BYTES);
  labels.forEach((label, k) => {
    const i = first + k;
    const rec = out.subarray(k * RECORD_BYTES, (k + 1) * RECORD_BYTES);
    rec[0] = label;
    for (let c = 0; c < 3; c++) rec.fill((i * 7 + c) & 255, 1 + c * 1024, 1 + (c + 1) * 1024);
    rec[1] = i & 255;
    rec[2] = i >> 8;
  });
  return out;
}
export const imageIndex = (images: Uint8Array, k: number) => images[k * IMAGE_BYTES] | (images[k * IMAGE_BYTES + 1] << 8);

export const dir = 'cifar-10-batches-bin/';
export const tgz = (entries: TarInput[]) => new Uint8Array(gzipSync(writeTar(entries)));
export const goodEntries = (): TarInput[] => [
  { name: dir, type: '5' },
  { name: `${dir}data_batch_2.bin`, data: batch([5, 6, 7], 3) },
  { name: `${dir}batches.meta.txt`, data: new TextEncoder().encode('a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n') },
  { name: `${dir}test_batch.bin`, data: batch([9, 0], 100) },
  { name: `${dir}data_batch_1.bin`, data: batch([1, 2, 3], 0) },
];

/** Loads `source` as bad.tar.gz and expects a DatasetError with `code` whose message names the file. */
export async function expectCode(
  source: Parameters<typeof loadCifar10>[0],
  code: DatasetErrorCode,
  message?: RegExp,
): Promise<DatasetError> {
  const err = await loadCifar10(source, { name: 'bad.tar.gz' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatasetError);
  const e = err as DatasetError;
  expect(e.code, e.message).toBe(code);
  expect(e.message).toContain('bad.tar.gz');
  if (message) expect(e.message).toMatch(message);
  return e;
}
