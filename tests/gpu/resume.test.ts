// Nothing lost to a reload: a run checkpointed while it trains (as the page's auto-checkpoint asks the worker) is
// kept in IndexedDB by the page's own code (src/ui/checkpointStore.ts, lib/persist.ts); a new Trainer, on its
// own device, as after a reload, resumes it from there, and its next losses are exactly those of the run that
// was never interrupted (weights, BN statistics, momentum, data order and augmentation all come back).
import { expect, test } from 'vitest';
import { Trainer } from '../../src/train/trainer';
import { keepCheckpoint } from '../../src/ui/checkpointStore';
import { deleteCheckpoints, loadCheckpoint } from '../../src/ui/lib/persist';
import { EventLog, runConfig, syntheticCifar } from './trainerHarness';

// A run far longer than the test lets it train: the checkpoint is mid-run whatever the speed of the device (Firefox
// steps so fast that a 14-step run had finished before a save asked for at step 3 was handled).
const TOTAL = 1000;
const AFTER = 5; // steps compared after the checkpoint
const config = runConfig({ model: { arch: 'residual', depth: 8, width: 4 }, batchSize: 8, steps: TOTAL, seed: 11, evalImages: 16 });
const data = syntheticCifar(320, 32);

const lossesOf = (log: EventLog, runId: string) =>
  new Map(
    log
      .of('metrics')
      .flatMap((e) => e.points)
      .filter((p) => p.runId === runId)
      .map((p) => [p.step, p.trainLoss]),
  );

test('a run checkpointed mid-training into IndexedDB, resumed by a new Trainer, trains on with the same losses', async () => {
  await deleteCheckpoints();
  // The uninterrupted run: a checkpoint is asked for while it trains; it trains on past it, then is paused.
  const logA = new EventLog();
  const a = new Trainer(logA.post, { cache: false });
  await a.setData(data, 'synthetic');
  await a.handle({ type: 'createRun', runId: 'run', name: 'resumable', config, start: true });
  await logA.wait('metrics', (e) => e.points.some((p) => p.runId === 'run' && p.step >= 3));
  await a.handle({ type: 'save', runId: 'run', requestId: 's1' });
  const ck = await logA.wait('checkpoint', (e) => e.runId === 'run');
  expect(await keepCheckpoint('run', ck.fileName, ck.bytes)).toBe(true);
  await logA.wait('metrics', (e) => e.points.some((p) => p.runId === 'run' && p.step >= ck.step + AFTER), 240_000);
  await a.handle({ type: 'pause', runId: 'run' });
  await a.handle({ type: 'deleteRun', runId: 'run' });
  const reference = lossesOf(logA, 'run');
  expect([...reference.keys()].slice(0, ck.step + AFTER)).toEqual(Array.from({ length: ck.step + AFTER }, (_, i) => i + 1));

  // As after a reload: a new Trainer (its own device) loads the kept checkpoint and trains on.
  const kept = await loadCheckpoint('run');
  expect(kept).toBeDefined();
  const at = Number(/-step(\d+)\.safetensors$/.exec(kept!.fileName)![1]);
  expect(at).toBe(ck.step);
  expect(at).toBeGreaterThanOrEqual(3);
  expect(at).toBeLessThan(TOTAL); // taken mid-run, not at the end
  const logB = new EventLog();
  const b = new Trainer(logB.post, { cache: false });
  await b.setData(data, 'synthetic');
  await b.handle({ type: 'load', runId: 'run', name: 'resumable', bytes: kept!.bytes });
  expect(logB.of('runState').at(-1)).toMatchObject({ runId: 'run', state: 'paused', step: at });
  await b.handle({ type: 'resume', runId: 'run' });
  await logB.wait('metrics', (e) => e.points.some((p) => p.runId === 'run' && p.step >= at + AFTER), 240_000);
  await b.handle({ type: 'pause', runId: 'run' });
  const resumed = new Map([...lossesOf(logB, 'run')].filter(([s]) => s <= at + AFTER));
  console.log(`checkpoint at step ${at}; losses after it:`, [...resumed.values()].map((l) => l.toFixed(6)).join(' '));
  expect([...resumed.keys()]).toEqual(Array.from({ length: AFTER }, (_, i) => at + 1 + i));
  expect([...resumed.entries()]).toEqual([...resumed.keys()].map((s) => [s, reference.get(s)]));
  expect(logB.of('error')).toEqual([]);
  await b.handle({ type: 'deleteRun', runId: 'run' });
  await deleteCheckpoints();
});
