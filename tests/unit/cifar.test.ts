// CIFAR-10 loader: the real subset tarball (skipped when absent, a failure under CI), the common bad files (the
// rest: cifarBadInput.test.ts), stats and splits.
import { existsSync, openAsBlob } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  CIFAR10_CLASS_NAMES,
  IMAGE_BYTES,
  channelStats,
  gatherSplit,
  loadCifar10,
  splitTrainVal,
  type Cifar10,
  type LoadProgress,
} from '../../src/data/cifar';
import { writeTar } from '../support/tarWriter';
import { Rng } from '../../src/util/rng';
import { describeWith } from '../support/ci';
import { batch, dir, expectCode, goodEntries, imageIndex, tgz } from './cifarFixture';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tarballPath = process.env.CIFAR10_TARBALL || resolve(repoRoot, '../shared/cifar10/cifar-10-subset-binary.tar.gz');
const missing = existsSync(tarballPath)
  ? undefined
  : `the real CIFAR-10 archive ${tarballPath} does not exist (put the subset at ../shared/cifar10/cifar-10-subset-binary.tar.gz or set CIFAR10_TARBALL)`;

// ---- the real subset: data_batch_1 + test_batch (README of ../shared/cifar10)

describeWith(missing, `real CIFAR-10 subset (${tarballPath})`, () => {
  let data: Cifar10;
  const progress: LoadProgress[] = [];
  let fileSize = 0;

  beforeAll(async () => {
    const blob = await openAsBlob(tarballPath);
    fileSize = blob.size;
    const t0 = performance.now();
    data = await loadCifar10(blob, { name: 'subset', onProgress: (p) => progress.push(p) });
    console.log(`decompressed and parsed ${(fileSize / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  });

  test('10,000 training and 10,000 test records, class names from batches.meta.txt', () => {
    expect(data.train.count).toBe(10_000);
    expect(data.test.count).toBe(10_000);
    expect(data.train.images.length).toBe(10_000 * IMAGE_BYTES);
    expect(data.test.labels.length).toBe(10_000);
    expect(data.classNames).toEqual(CIFAR10_CLASS_NAMES);
  });

  test('class counts of the README', () => {
    const counts = (labels: Uint8Array) => labels.reduce((c, l) => (c[l]++, c), new Array<number>(10).fill(0));
    expect(counts(data.train.labels)).toEqual([1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
    expect(counts(data.test.labels)).toEqual(new Array(10).fill(1000));
  });

  test('first ten labels and the first red row of training image 0', () => {
    expect([...data.train.labels.subarray(0, 10)]).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect([...data.test.labels.subarray(0, 10)]).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect([...data.train.images.subarray(0, 10)]).toEqual([59, 43, 50, 68, 98, 119, 139, 145, 149, 149]);
  });

  test('progress: bytes grow to the file size, images to 20,000', () => {
    expect(progress.length).toBeGreaterThan(10);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i].bytesRead).toBeGreaterThanOrEqual(progress[i - 1].bytesRead);
      expect(progress[i].imagesDecoded).toBeGreaterThanOrEqual(progress[i - 1].imagesDecoded);
    }
    const last = progress[progress.length - 1];
    expect(last).toEqual({ bytesRead: fileSize, totalBytes: fileSize, imagesDecoded: 20_000 });
  });

  test('channel statistics of the training subset', () => {
    const { mean, std } = channelStats(data.train);
    console.log(`train subset mean ${mean.map((v) => v.toFixed(4)).join(' ')}, std ${std.map((v) => v.toFixed(4)).join(' ')}`);
    // Full training set: mean 0.4914 0.4822 0.4465, std 0.2470 0.2435 0.2616.
    [0.4914, 0.4822, 0.4465].forEach((m, c) => expect(Math.abs(mean[c] - m)).toBeLessThan(0.01));
    [0.247, 0.2435, 0.2616].forEach((s, c) => expect(Math.abs(std[c] - s)).toBeLessThan(0.01));
  });

  test('channel statistics over selected ids equal those of the split holding only those images', () => {
    // The ids of the training part of splitTrainVal(data, 1000, 1), as the worker's GPU dataset uses them.
    const ids = new Rng(1).permutation(data.train.count).slice(1000).sort();
    expect(channelStats(data.train, ids)).toEqual(channelStats(splitTrainVal(data, 1000, 1).train));
  });

  test('train/val split of the real batch', () => {
    const { train, val } = splitTrainVal(data, 1000, 1);
    expect([train.count, val.count]).toEqual([9000, 1000]);
    expect(train.images.length).toBe(9000 * IMAGE_BYTES);
    const all = new Array<number>(10).fill(0);
    for (const l of [...train.labels, ...val.labels]) all[l]++;
    expect(all).toEqual([1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
  });
});

// ---- synthetic archives (tests/unit/cifarFixture.ts; every other kind of bad file: cifarBadInput.test.ts)

describe('synthetic archives', () => {
  test('batches in batch order whatever the tar order; meta names; tiny stream chunks', async () => {
    const bytes = tgz(goodEntries());
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (at >= bytes.length) return ctrl.close();
        ctrl.enqueue(bytes.slice(at, at + 7));
        at += 7;
      },
    });
    const c = await loadCifar10(stream);
    expect(c.classNames).toEqual('abcdefghij'.split(''));
    expect([...c.train.labels]).toEqual([1, 2, 3, 5, 6, 7]);
    expect([...c.test.labels]).toEqual([9, 0]);
    expect(Array.from({ length: 6 }, (_, k) => imageIndex(c.train.images, k))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(c.train.images[5 * IMAGE_BYTES + 1024 + 5]).toBe((5 * 7 + 1) & 255);
    expect(c.train.images[6 * IMAGE_BYTES - 1]).toBe((5 * 7 + 2) & 255);
  });

  test('plain (uncompressed) tar and an ArrayBuffer source; default class names without meta', async () => {
    const tar = writeTar(goodEntries().filter((e) => !e.name.endsWith('.txt')));
    const c = await loadCifar10(tar.slice().buffer);
    expect(c.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(c.train.count).toBe(6);
  });

  test('random bytes: not-gzip', async () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
    await expectCode(junk, 'not-gzip', /not a gzip file/);
    await expectCode(new TextEncoder().encode('<!DOCTYPE html><html>'), 'not-gzip', /web page/);
  });

  test('empty file', async () => {
    await expectCode(new Uint8Array(0), 'empty');
  });

  test('gzip of something that is not a tar: not-tar', async () => {
    await expectCode(new Uint8Array(gzipSync(new Uint8Array(5000).fill(42))), 'not-tar', /not a tar archive/);
  });

  test('tar without CIFAR files: no-cifar-files, naming what it found', async () => {
    await expectCode(tgz([{ name: 'readme.html', data: new Uint8Array(10) }]), 'no-cifar-files', /readme\.html/);
    const python = [
      { name: 'cifar-10-batches-py/data_batch_1', data: new Uint8Array(10) },
      { name: 'cifar-10-batches-py/test_batch', data: new Uint8Array(10) },
    ];
    await expectCode(tgz(python), 'no-cifar-files', /Python version/);
  });

  test('training batches without the test batch, or the reverse: no-cifar-files', async () => {
    await expectCode(tgz(goodEntries().filter((e) => !e.name.includes('test_batch'))), 'no-cifar-files', /test_batch\.bin/);
    await expectCode(tgz(goodEntries().filter((e) => !e.name.includes('data_batch'))), 'no-cifar-files', /data_batch_1\.bin/);
  });

  test('batch of 3072*2 bytes: bad-batch-size', async () => {
    const entries = [...goodEntries(), { name: `${dir}data_batch_3.bin`, data: new Uint8Array(3072 * 2) }];
    const e = await expectCode(tgz(entries), 'bad-batch-size', /data_batch_3\.bin is 6144 bytes/);
    expect(e.file).toBe(`${dir}data_batch_3.bin`);
  });

  test('label 10: bad-label naming the record', async () => {
    const entries = [...goodEntries(), { name: `${dir}data_batch_3.bin`, data: batch([0, 1, 10, 2]) }];
    const e = await expectCode(tgz(entries), 'bad-label', /data_batch_3\.bin, record 2 .*label 10/);
    expect(e.record).toBe(2);
  });

  test('truncated gzip: truncated', async () => {
    const whole = tgz(goodEntries());
    for (const cut of [whole.length - 3, Math.floor(whole.length / 2), 30]) {
      await expectCode(whole.subarray(0, cut), 'truncated', /cut short/);
    }
  });

  test('truncated plain tar: truncated', async () => {
    const tar = writeTar(goodEntries());
    await expectCode(tar.subarray(0, 2048 + 700), 'truncated', /cut short/);
    await expectCode(tar.subarray(0, tar.length - 1024), 'truncated', /end-of-archive/);
  });

  test('damaged gzip data: corrupt-gzip', async () => {
    const bad = tgz(goodEntries()).slice();
    bad.fill(0xff, 40, 60);
    await expectCode(bad, 'corrupt-gzip', /damaged gzip/);
  });

  test('the same batch twice: duplicate-file', async () => {
    const entries = [...goodEntries(), { name: `other/data_batch_1.bin`, data: batch([1]) }];
    await expectCode(tgz(entries), 'duplicate-file', /twice/);
  });

  test('an abort signal stops the load', async () => {
    const ctrl = new AbortController();
    ctrl.abort(new Error('user picked another file'));
    await expect(loadCifar10(tgz(goodEntries()), { signal: ctrl.signal })).rejects.toThrow('user picked another file');
  });
});

describe('splitTrainVal', () => {
  const labels = Array.from({ length: 500 }, (_, i) => i % 10);
  const c: Cifar10 = {
    classNames: CIFAR10_CLASS_NAMES,
    train: { count: 500, images: new Uint8Array(0), labels: new Uint8Array(labels) },
    test: { count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) },
  };
  c.train.images = new Uint8Array(500 * IMAGE_BYTES);
  for (let i = 0; i < 500; i++) c.train.images.set(batch([0], i).subarray(1), i * IMAGE_BYTES);
  const indices = (s: { count: number; images: Uint8Array }) => Array.from({ length: s.count }, (_, k) => imageIndex(s.images, k));

  test('sizes, disjoint, together all images, each part in original order, labels follow images', () => {
    const { train, val } = splitTrainVal(c, 50, 7);
    expect([train.count, val.count]).toEqual([450, 50]);
    const ti = indices(train);
    const vi = indices(val);
    expect(new Set([...ti, ...vi]).size).toBe(500);
    expect(ti).toEqual([...ti].sort((a, b) => a - b));
    expect(vi).toEqual([...vi].sort((a, b) => a - b));
    vi.forEach((i, k) => expect(val.labels[k]).toBe(i % 10));
  });

  test('seeded: same seed same split, another seed another', () => {
    expect(indices(splitTrainVal(c, 50, 7).val)).toEqual(indices(splitTrainVal(c, 50, 7).val));
    expect(indices(splitTrainVal(c, 50, 8).val)).not.toEqual(indices(splitTrainVal(c, 50, 7).val));
  });

  test('bad sizes are rejected', () => {
    expect(() => splitTrainVal(c, 500, 1)).toThrow(RangeError);
    expect(() => splitTrainVal(c, -1, 1)).toThrow(RangeError);
    expect(splitTrainVal(c, 0, 1).train.count).toBe(500);
  });
});

test('channelStats on a constant split', () => {
  const images = new Uint8Array(2 * IMAGE_BYTES);
  images.fill(255, 0, 1024); // image 0: red 255, green 0, blue 0
  images.fill(51, IMAGE_BYTES, IMAGE_BYTES + 3072); // image 1: all 51
  const { mean, std } = channelStats({ count: 2, images, labels: new Uint8Array(2) });
  expect(mean[0]).toBeCloseTo((1 + 0.2) / 2, 12);
  expect(std[0]).toBeCloseTo(0.4, 12);
  expect(mean[2]).toBeCloseTo(0.1, 12);
  expect(std[2]).toBeCloseTo(0.1, 12);
});

describe('channelStats over selected image ids', () => {
  const count = 40;
  const rng = new Rng(3);
  const images = new Uint8Array(count * IMAGE_BYTES);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(rng.next() * 256);
  const split = { count, images, labels: new Uint8Array(count) };

  test.each([
    ['sorted', [0, 3, 4, 17, 39]],
    ['unordered, with a repeat', [22, 5, 5, 38, 1, 30]],
    ['one image', [12]],
    ['all', Array.from({ length: count }, (_, i) => i)],
  ])('%s: bit-identical to the subset built by hand', (_, ids) => {
    const byHand = channelStats(gatherSplit(split, ids));
    const got = channelStats(split, Uint32Array.from(ids));
    expect(got).toEqual(byHand);
    for (let c = 0; c < 3; c++) {
      expect(Object.is(got.mean[c], byHand.mean[c]) && Object.is(got.std[c], byHand.std[c])).toBe(true);
    }
  });

  test('no ids or an id outside the split is a RangeError', () => {
    expect(() => channelStats(split, [])).toThrow(RangeError);
    expect(() => channelStats(split, [0, count])).toThrow(RangeError);
    expect(() => channelStats(split, [-1])).toThrow(RangeError);
  });
});
