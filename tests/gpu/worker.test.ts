// The training worker end to end, only through its messages: init, load a (small, synthetic) CIFAR archive
// from a File, train a run, metrics batches, pause, save, predict; the browser cache; a missing server archive.
import { afterAll, expect, test } from 'vitest';
import type { Command } from '../../src/train/protocol';
import type { Cifar10 } from '../../src/data/cifar';
import { writeTar } from '../support/tarWriter';
import { clearCachedDataset } from '../../src/data/cache';
import { decodeSafetensors } from '../../src/model/safetensors';
import { EventLog, runConfig, syntheticCifar } from './trainerHarness';

function startWorker() {
  const worker = new Worker(new URL('../../src/train/worker.ts', import.meta.url), { type: 'module' });
  const log = new EventLog();
  worker.onmessage = (ev) => log.post(ev.data);
  worker.onerror = (ev) => console.error('worker error', ev.message);
  const send = (c: Command, transfer: Transferable[] = []) => worker.postMessage(c, transfer);
  return { worker, log, send };
}

function records(c: Cifar10['train']): Uint8Array {
  const out = new Uint8Array(c.count * 3073);
  for (let i = 0; i < c.count; i++) {
    out[i * 3073] = c.labels[i];
    out.set(c.images.subarray(i * 3072, (i + 1) * 3072), i * 3073 + 1);
  }
  return out;
}

async function archive(c: Cifar10): Promise<File> {
  const tar = writeTar([
    { name: 'cifar-10-batches-bin/', type: '5' },
    { name: 'cifar-10-batches-bin/batches.meta.txt', data: new TextEncoder().encode(c.classNames.join('\n') + '\n') },
    { name: 'cifar-10-batches-bin/data_batch_1.bin', data: records(c.train) },
    { name: 'cifar-10-batches-bin/test_batch.bin', data: records(c.test) },
  ]);
  const gz = await new Response(new Blob([tar.slice().buffer]).stream().pipeThrough(new CompressionStream('gzip'))).blob();
  return new File([gz], 'tiny-cifar.tar.gz');
}

afterAll(() => clearCachedDataset());

test('worker: load a file, train, metrics, pause, save, predict; then the cache', async () => {
  const data = syntheticCifar(200, 64, 3);
  const { worker, log, send } = startWorker();
  try {
    send({ type: 'init' });
    const ready = await log.wait('ready', undefined, 60_000);
    expect(ready.maxBufferBytes).toBeGreaterThan(0);

    send({ type: 'loadData', source: { kind: 'file', file: await archive(data), name: 'tiny-cifar.tar.gz' } });
    const dr = await log.wait('dataReady', undefined, 60_000);
    expect(dr.summary).toMatchObject({ trainCount: 200, testCount: 64, source: 'tiny-cifar.tar.gz' });
    expect(dr.summary.samples.labels.length).toBe(40); // 4 per class
    expect(dr.summary.samples.pixels.length).toBe(40 * 3072);
    expect(log.of('dataProgress').map((e) => e.phase)).toContain('upload');

    send({
      type: 'createRun',
      runId: 'w',
      name: 'worker run',
      config: runConfig({ model: { arch: 'residual', depth: 8, width: 4 }, batchSize: 8, steps: 1000 }),
      start: true,
    });
    await log.wait('runState', (e) => e.runId === 'w' && e.state === 'training', 60_000);
    await log.wait('metrics', () => log.of('metrics').flatMap((e) => e.points).length >= 6, 120_000);
    send({ type: 'pause', runId: 'w' });
    const paused = await log.wait('runState', (e) => e.runId === 'w' && e.state === 'paused', 60_000);
    const points = log.of('metrics').flatMap((e) => e.points);
    expect(points[0]).toMatchObject({ runId: 'w', step: 1, epoch: 1 / 25, lr: 0.05 });
    expect(points.every((p, i) => p.step === i + 1 && Number.isFinite(p.trainLoss) && p.trainAcc >= 0 && p.trainAcc <= 1)).toBe(true);
    expect(paused.paramCount).toBeGreaterThan(1000);
    expect(paused.gpuBytes).toBeGreaterThan(0);
    // Every point arrived once and in order (above), and no 'metrics' message is empty. The 100 ms batching is
    // tested on a fake clock (tests/unit/outbox.test.ts): arrival times here are the page's event loop, not the
    // worker's posts (in Firefox under load two posts 100 ms apart arrived 43 ms apart), and other events flush the
    // batch early by design, so no spacing between arrivals is promised.
    expect(log.of('metrics').every((e) => e.points.length > 0)).toBe(true);

    send({ type: 'save', runId: 'w', requestId: 'w1' });
    const ck = await log.wait('checkpoint', (e) => e.runId === 'w', 60_000);
    expect(ck.bytes).toBeInstanceOf(ArrayBuffer);
    const file = decodeSafetensors(new Uint8Array(ck.bytes));
    expect(Number(file.metadata.step)).toBe(paused.step);
    expect(ck.fileName).toBe(`worker_run-step${paused.step}.safetensors`);

    send({ type: 'predict', runId: 'w', count: 8, bnMode: 'eval' });
    const pr = await log.wait('predictions', (e) => e.runId === 'w', 120_000);
    expect(pr.pixels.length).toBe(8 * 3072);
    expect(Array.from(pr.labels)).toEqual(Array.from(data.test.labels.subarray(0, 8)));
    expect(pr.predicted.length).toBe(8);
    expect(pr.confusion).toHaveLength(10);
    expect(pr.confusion.flat().reduce((a, b) => a + b)).toBe(64); // evalImages of the run
    expect(pr.accuracy).toBeCloseTo(pr.confusion.reduce((a, row, i) => a + row[i], 0) / 64, 6);
    // Against the labels: the confusion matrix's rows are the true classes of the 64 test images it counts, and
    // every shown image's (label, prediction) pair is one of its entries.
    const classCounts = Array.from({ length: 10 }, (_, c) => data.test.labels.subarray(0, 64).filter((l) => l === c).length);
    expect(pr.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(classCounts);
    pr.predicted.forEach((p, i) => {
      expect(p).toBeLessThan(10);
      expect(pr.confusion[pr.labels[i]][p]).toBeGreaterThanOrEqual(1);
    });
    send({ type: 'deleteRun', runId: 'w' });

    // The dataset went to IndexedDB in the background: a fresh worker loads it from there.
    await log.wait('dataProgress', (e) => e.phase === 'cache' && e.bytesRead > 0 && e.bytesRead === e.totalBytes, 60_000);
    expect(log.of('error')).toEqual([]);
  } finally {
    worker.terminate();
  }

  const second = startWorker();
  try {
    second.send({ type: 'loadData', source: { kind: 'cache' } });
    const dr = await second.log.wait('dataReady', undefined, 60_000);
    expect(dr.summary).toMatchObject({ trainCount: 200, testCount: 64, source: 'browser cache' });
    expect(second.log.of('ready')).toHaveLength(1);
    // The test server has no /data/cifar10.tar.gz: a bad-data error that says what to do, and no crash.
    second.send({ type: 'loadData', source: { kind: 'server' } });
    const err = await second.log.wait('error', undefined, 60_000);
    expect(err.code).toBe('bad-data');
    console.log('server source without an archive:', err.message);
    second.send({ type: 'createRun', runId: 'x', name: 'x', config: runConfig({ model: { arch: 'residual', depth: 7 } }), start: false });
    expect((await second.log.wait('error', (e) => e.runId === 'x', 30_000)).code).toBe('bad-config');
  } finally {
    second.worker.terminate();
  }
});

test('worker: commands before any data say so', async () => {
  await clearCachedDataset();
  const { worker, log, send } = startWorker();
  try {
    send({ type: 'createRun', runId: 'r', name: 'r', config: runConfig(), start: true });
    expect(await log.wait('error', (e) => e.runId === 'r', 60_000)).toMatchObject({ code: 'no-data' });
    send({ type: 'loadData', source: { kind: 'cache' } });
    expect(await log.wait('error', (e) => e.runId === undefined, 60_000)).toMatchObject({ code: 'no-data' });
    send({ type: 'pause', runId: 'nope' });
    expect(await log.wait('error', (e) => e.runId === 'nope', 10_000)).toMatchObject({ code: 'bad-config' });
  } finally {
    worker.terminate();
  }
});
