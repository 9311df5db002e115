// A browser with no room left (QuotaExceededError from IndexedDB) while the worker caches the dataset or the page
// keeps a checkpoint: the error becomes a 'storage-full' message in words, nothing throws past it, and checkpoints
// of other runs are deleted only when the user says yes. Also the auto-checkpoint schedule and the curves of a run
// resumed from its checkpoint. IndexedDB is an in-memory fake with a byte budget (fakeIdb.ts).
import { beforeEach, expect, test } from 'vitest';
import { installFakeIdb, type FakeIdb } from './fakeIdb';
import type { Cifar10 } from '../../src/data/cifar';
import type { WorkerEvent } from '../../src/train/protocol';

// persist.ts and cache.ts open IndexedDB lazily, on first use: the fake is installed before any of that.
const idb: FakeIdb = installFakeIdb();
const { cacheInBackground } = await import('../../src/train/dataSource');
const { saveCachedDataset } = await import('../../src/data/cache');
const { AutoSaver, autosavePeriod, keepCheckpoint, resetCheckpointWarnings, rewound } = await import('../../src/ui/checkpointStore');
const { checkpointIds, checkpointMetas, loadRuns, saveCheckpoint } = await import('../../src/ui/lib/persist');
const { useApp } = await import('../../src/ui/store');
const { encodeSafetensors } = await import('../../src/model/safetensors');

function tinyCifar(train: number, test: number): Cifar10 {
  const split = (n: number) => ({ count: n, images: new Uint8Array(n * 3072).fill(7), labels: new Uint8Array(n) });
  return {
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    train: split(train),
    test: split(test),
  };
}

/** A checkpoint file as the worker makes it: one tensor of `floats` numbers and the step in the metadata. */
const checkpoint = (step: number, floats: number) =>
  encodeSafetensors({ w: { dtype: 'F32', shape: [floats], data: new Float32Array(floats) } }, { step: String(step) }).slice().buffer;

let answers: boolean[] = [];
const asked: string[] = [];
(globalThis as { confirm?: (q: string) => boolean }).confirm = (q: string) => (asked.push(q), answers.shift() ?? false);

beforeEach(() => {
  idb.capacity = Infinity;
  idb.failWith = undefined;
  for (const db of idb.dbs.values()) for (const s of db.values()) s.clear();
  answers = [];
  asked.length = 0;
  resetCheckpointWarnings();
  useApp.setState({ alerts: [], runs: {}, order: [] });
});

test('the dataset cache: a full storage rejects with a message saying so, and cacheInBackground turns it into a storage-full event without throwing', async () => {
  const data = tinyCifar(20, 10);
  idb.capacity = 50_000; // 30 images = 92 kB
  await expect(saveCachedDataset('k', data)).rejects.toMatchObject({
    code: 'cache-failed',
    message: expect.stringMatching(/QuotaExceededError.*no room/),
  });

  const posted: WorkerEvent[] = [];
  await expect(cacheInBackground(data, (e) => posted.push(e))).resolves.toBe(0);
  const error = posted.find((e) => e.type === 'error');
  expect(error).toMatchObject({
    type: 'error',
    code: 'storage-full',
    message: expect.stringMatching(/no room to keep the decoded dataset \(0 MB.*Training works anyway/),
  });
  expect(error).not.toHaveProperty('runId');
  // The page stops showing "saving a copy": the last progress event is the end of the cache phase.
  expect(posted.filter((e) => e.type === 'dataProgress').at(-1)).toMatchObject({ phase: 'cache', bytesRead: 30 * 3072 });

  idb.capacity = Infinity;
  const ok: WorkerEvent[] = [];
  await expect(cacheInBackground(data, (e) => ok.push(e))).resolves.toBe(30 * 3072);
  expect(ok.filter((e) => e.type === 'error')).toEqual([]);
});

test('a checkpoint that does not fit: an alert, no throw, the other checkpoint kept when the user says no', async () => {
  await saveCheckpoint('old', 'old.safetensors', checkpoint(5, 200));
  const pt = (step: number) => ({ runId: 'new', step, epoch: 0, lr: 0.1, trainLoss: 1, trainAcc: 0, imagesPerSec: 0, gpuBytes: 0 });
  const metrics = Array.from({ length: 60 }, (_, i) => pt(i + 1));
  useApp.getState().addRun({
    id: 'new',
    name: 'resnet-8',
    createdAt: 0,
    state: 'training',
    live: true,
    step: 60,
    totalSteps: 100,
    epoch: 0,
    paramCount: 1,
    gpuBytes: 0,
    metrics,
    evals: [],
    elapsedMs: 0,
    hasCheckpoint: false,
  });
  idb.capacity = idb.used() + 500; // room for 100 floats more, not 200

  answers = [false];
  await expect(keepCheckpoint('new', 'new.safetensors', checkpoint(40, 200))).resolves.toBe(false);
  expect(asked).toHaveLength(1);
  expect(asked[0]).toMatch(
    /storage is full: the checkpoint of "resnet-8" at step 40 \(0\.9 kB\) cannot be kept\..*Delete the 1 checkpoint kept for other runs/s,
  );
  expect(await checkpointIds()).toEqual(['old']);
  expect(useApp.getState().runs.new.hasCheckpoint).toBe(false);
  const alerts = useApp.getState().alerts;
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toMatchObject({
    code: 'storage-full',
    runId: 'new',
    runName: 'resnet-8',
    message: expect.stringMatching(/no room to keep the checkpoint of "resnet-8" at step 40 .*Training goes on/),
  });

  // The next auto-checkpoint fails the same way: no second question (the user said no), no second alert.
  await expect(keepCheckpoint('new', 'new.safetensors', checkpoint(60, 200))).resolves.toBe(false);
  expect(asked).toHaveLength(1);
  expect(useApp.getState().alerts).toHaveLength(1);
});

test("a checkpoint that does not fit: with the user's yes, the other runs' checkpoints go and this one is kept", async () => {
  await saveCheckpoint('old', 'old.safetensors', checkpoint(5, 200));
  idb.capacity = idb.used() + 500;
  useApp.getState().addRun({
    id: 'old',
    name: 'old run',
    createdAt: 0,
    state: 'done',
    live: false,
    step: 5,
    totalSteps: 5,
    epoch: 0,
    paramCount: 1,
    gpuBytes: 0,
    metrics: [],
    evals: [],
    elapsedMs: 0,
    hasCheckpoint: true,
    checkpointStep: 5,
  });
  answers = [true];
  await expect(keepCheckpoint('new', 'new.safetensors', checkpoint(40, 200))).resolves.toBe(true);
  expect(await checkpointIds()).toEqual(['new']);
  expect(useApp.getState().runs.old).toMatchObject({ hasCheckpoint: false, checkpointStep: undefined });
  expect(useApp.getState().alerts).toEqual([]);
});

test('a checkpoint too big even for an empty store: asked once, then an alert; nothing throws', async () => {
  await saveCheckpoint('old', 'old.safetensors', checkpoint(5, 10));
  idb.capacity = idb.used() + 100;
  answers = [true];
  await expect(keepCheckpoint('big', 'big.safetensors', checkpoint(9, 10_000))).resolves.toBe(false);
  expect(asked).toHaveLength(1);
  expect(await checkpointIds()).toEqual([]);
  expect(useApp.getState().alerts.map((a) => a.code)).toEqual(['storage-full']);
});

test("a kept checkpoint is written with its meta record and the run's record, whose points reach its step", async () => {
  const pt = (step: number) => ({ runId: 'r', step, epoch: 0, lr: 0.1, trainLoss: 1, trainAcc: 0, imagesPerSec: 0, gpuBytes: 0 });
  useApp.getState().addRun({
    id: 'r',
    name: 'r',
    createdAt: 0,
    state: 'training',
    live: true,
    step: 8,
    totalSteps: 100,
    epoch: 0,
    paramCount: 1,
    gpuBytes: 0,
    metrics: [1, 2, 3, 4, 5, 6, 7, 8].map(pt),
    evals: [],
    elapsedMs: 0,
    hasCheckpoint: false,
  });
  const keeping = keepCheckpoint('r', 'r-step10.safetensors', checkpoint(10, 4));
  // The points of steps 9 and 10 come after the checkpoint: it waits for them.
  await new Promise((r) => setTimeout(r, 20));
  expect(await checkpointIds()).toEqual([]);
  useApp.getState().patchRun('r', { metrics: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(pt), step: 10 });
  await expect(keeping).resolves.toBe(true);
  expect((await checkpointMetas()).get('r')).toMatchObject({ step: 10, fileName: 'r-step10.safetensors' });
  expect((await loadRuns()).find((x) => x.id === 'r')?.metrics.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(useApp.getState().runs.r).toMatchObject({ hasCheckpoint: true, checkpointStep: 10 });
});

test('auto-checkpoints: every N steps or T ms, whichever comes first; ?autosave=N sets N', () => {
  expect(autosavePeriod('')).toEqual({ steps: 200, ms: 30_000 });
  expect(autosavePeriod('?autosave=3&x=1')).toEqual({ steps: 3, ms: 30_000 });
  expect(autosavePeriod('?autosave=-2')).toEqual({ steps: 200, ms: 30_000 });
  const a = new AutoSaver({ steps: 10, ms: 1000 });
  expect(a.due('r', 0, 0)).toBe(false); // starts the clock
  expect(a.due('r', 9, 500)).toBe(false);
  expect(a.due('r', 10, 500)).toBe(true);
  a.asked('r', 10, 500);
  expect(a.due('r', 12, 1400)).toBe(false);
  expect(a.due('r', 12, 1500)).toBe(true);
  a.asked('r', 12, 1500);
  expect(a.due('r', 12, 9000)).toBe(false); // no step since: nothing new to keep
});

test("a run resumed from its checkpoint keeps only the points up to the checkpoint's step", () => {
  const pt = (step: number) => ({ runId: 'r', step, epoch: step / 10, lr: 0.1, trainLoss: 1, trainAcc: 0, imagesPerSec: 0, gpuBytes: 0 });
  const r = {
    id: 'r',
    name: 'r',
    createdAt: 0,
    state: 'stopped' as const,
    live: false,
    step: 7,
    totalSteps: 9,
    epoch: 0.7,
    paramCount: 1,
    gpuBytes: 0,
    metrics: [1, 2, 3, 4, 5, 6, 7].map(pt),
    evals: [{ runId: 'r', step: 6, epoch: 0.6, split: 'test' as const, bnMode: 'eval' as const, loss: 1, accuracy: 0, images: 1 }],
    elapsedMs: 0,
    hasCheckpoint: true,
  };
  const back = rewound(r, 4);
  expect(back.metrics!.map((p) => p.step)).toEqual([1, 2, 3, 4]);
  expect(back).toMatchObject({ step: 4, evals: [], epoch: 0.4 });
});

test('a checkpoint that fails for another reason (a disk error): an alert in words, once per run, and no throw', async () => {
  idb.failWith = new DOMException('Disk I/O failed.', 'UnknownError');
  const name = 'resnet-8';
  useApp.setState({ runs: { r1: { id: 'r1', name } as never }, order: ['r1'] });
  await expect(keepCheckpoint('r1', 'a.safetensors', checkpoint(10, 4))).resolves.toBe(false);
  await expect(keepCheckpoint('r1', 'a.safetensors', checkpoint(20, 4))).resolves.toBe(false);
  const alerts = useApp.getState().alerts;
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toMatchObject({
    runId: 'r1',
    message: expect.stringMatching(/"resnet-8" at step 10 could not be kept.*Disk I\/O failed/),
  });
  expect(asked).toEqual([]); // not a full storage: nobody is asked to delete anything
});
