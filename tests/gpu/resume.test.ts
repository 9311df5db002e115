// Nothing lost to a reload: a run checkpointed while it trains (as the page's auto-checkpoint asks the worker) is
// kept in IndexedDB by the page's own code (src/ui/checkpointStore.ts, lib/persist.ts); a new Trainer, on its
// own device, as after a reload, resumes it from there, and its next losses are exactly those of the run that
// was never interrupted (weights, BN statistics, momentum, data order and augmentation all come back).
import { expect, test } from 'vitest';
import { Trainer } from '../../src/train/trainer';
import { keepCheckpoint } from '../../src/ui/checkpointStore';
import { deleteCheckpoints, loadCheckpoint } from '../../src/ui/lib/persist';
import { EventLog, runConfig, syntheticCifar } from './trainerHarness';

const config = runConfig({ model: { arch: 'residual', depth: 8, width: 4 }, batchSize: 8, steps: 14, seed: 11, evalImages: 16 });
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
  // The uninterrupted run: it trains to the end; a checkpoint is asked for while it trains.
  const logA = new EventLog();
  const a = new Trainer(logA.post, { cache: false });
  await a.setData(data, 'synthetic');
  await a.handle({ type: 'createRun', runId: 'run', name: 'resumable', config, start: true });
  await logA.wait('metrics', (e) => e.points.some((p) => p.runId === 'run' && p.step >= 3));
  await a.handle({ type: 'save', runId: 'run', requestId: 's1' });
  const ck = await logA.wait('checkpoint', (e) => e.runId === 'run');
  expect(await keepCheckpoint('run', ck.fileName, ck.bytes)).toBe(true);
  await logA.wait('runState', (e) => e.runId === 'run' && e.state === 'done');
  await logA.wait('metrics', (e) => e.points.some((p) => p.runId === 'run' && p.step === 14));
  await a.handle({ type: 'deleteRun', runId: 'run' });
  const reference = lossesOf(logA, 'run');
  expect([...reference.keys()]).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));

  // As after a reload: a new Trainer (its own device) loads the kept checkpoint and trains on.
  const kept = await loadCheckpoint('run');
  expect(kept).toBeDefined();
  const at = Number(/-step(\d+)\.safetensors$/.exec(kept!.fileName)![1]);
  expect(at).toBeGreaterThanOrEqual(3);
  expect(at).toBeLessThan(14); // taken mid-run, not at the end
  const logB = new EventLog();
  const b = new Trainer(logB.post, { cache: false });
  await b.setData(data, 'synthetic');
  await b.handle({ type: 'load', runId: 'run', name: 'resumable', bytes: kept!.bytes });
  expect(logB.of('runState').at(-1)).toMatchObject({ runId: 'run', state: 'paused', step: at });
  await b.handle({ type: 'resume', runId: 'run' });
  await logB.wait('runState', (e) => e.runId === 'run' && e.state === 'done');
  await logB.wait('metrics', (e) => e.points.some((p) => p.runId === 'run' && p.step === 14));
  const resumed = lossesOf(logB, 'run');
  console.log(`checkpoint at step ${at}; losses after it:`, [...resumed.values()].map((l) => l.toFixed(6)).join(' '));
  expect([...resumed.keys()]).toEqual(Array.from({ length: 14 - at }, (_, i) => at + 1 + i));
  expect([...resumed.entries()]).toEqual([...resumed.keys()].map((s) => [s, reference.get(s)]));
  expect(logB.of('error')).toEqual([]);
  await b.handle({ type: 'deleteRun', runId: 'run' });
  await deleteCheckpoints();
});
