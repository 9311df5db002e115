// Kernel tuning through the trainer (the worker's side, src/train/tuning.ts): 'auto' tunes a network and batch
// before its first run is built and not again, the result is kept for the adapter (a new trainer finds it), a
// tuning is refused while a run trains, and a forced profile is not tuned.
import { beforeAll, describe, expect, test } from 'vitest';
import { Trainer } from '../../src/train/trainer';
import { clearTunings } from '../../src/tune/cache';
import { EventLog, runConfig, syntheticCifar } from './trainerHarness';

const data = syntheticCifar(64, 16);
const config = runConfig({ model: { arch: 'residual', depth: 8, width: 4 }, batchSize: 4, steps: 100_000 });

beforeAll(async () => {
  await clearTunings(); // this browser profile may keep another test file's tunings
});

describe('tuning in the trainer', () => {
  test("'auto' tunes before the first run is built, once; the result is kept for the adapter", async () => {
    const log = new EventLog();
    const trainer = new Trainer(log.post, { cache: false });
    await trainer.handle({ type: 'init', tuning: 'auto' });
    const ready = await log.wait('ready');
    expect(ready.tuning).toMatchObject({ mode: 'auto', tuned: false, results: [] });
    expect(ready.gpu.limits.maxBufferSize).toBe(ready.maxBufferBytes);
    await trainer.setData(data, 'synthetic');

    await trainer.handle({ type: 'createRun', runId: 'a', name: 'a', config, start: false });
    const built = log.list.findIndex((e) => e.type === 'runState' && e.runId === 'a' && e.state === 'ready');
    const tuned = log.list.findIndex((e) => e.type === 'tuning');
    expect(log.of('error')).toEqual([]);
    expect(tuned).toBeGreaterThan(-1);
    expect(built).toBeGreaterThan(tuned); // the run's network was built with the tuning in effect
    expect(log.of('tuneProgress').length).toBeGreaterThan(0);
    expect(log.of('tuneEnded').map((e) => e.outcome)).toEqual(['done']);
    const info = log.of('tuning')[0].info;
    expect(info.results.map((r) => [r.model, r.batch])).toEqual([['resnet8-w4', 4]]);
    expect(info.running).toBe(false);

    // The same network and batch again: nothing re-timed. A plain net of the same shapes is covered too.
    const progress = log.of('tuneProgress').length;
    await trainer.handle({
      type: 'createRun',
      runId: 'b',
      name: 'b',
      config: { ...config, model: { ...config.model, arch: 'plain' } },
      start: false,
    });
    expect(log.of('tuneProgress').length).toBe(progress);

    // Tuning while a run trains is refused, with what to do.
    await trainer.handle({ type: 'resume', runId: 'a' });
    await trainer.handle({ type: 'tune', model: config.model, batch: 4 });
    const refused = await log.wait('error', (e) => e.message.includes('needs the GPU to itself'));
    expect(refused.advice).toBe('Pause the training runs, then tune.');
    // The page shows a tuning from the moment it asks: a refusal ends it, with the reason.
    expect(log.of('tuneEnded').at(-1)).toEqual({ type: 'tuneEnded', outcome: 'failed', message: refused.message });
    await trainer.handle({ type: 'stop', runId: 'a' });
    await trainer.handle({ type: 'tune', model: config.model, batch: 0 });
    await log.wait('error', (e) => e.message.includes('batch size from 1 to 4096'));
    expect(log.of('tuneEnded').at(-1)?.outcome).toBe('failed');

    // A new trainer (a reload) finds the result kept for this adapter and puts it into effect at once.
    const log2 = new EventLog();
    const again = new Trainer(log2.post, { cache: false });
    await again.handle({ type: 'init' });
    const ready2 = await log2.wait('ready');
    expect(ready2.tuning.results.map((r) => r.model)).toEqual(['resnet8-w4']);
    expect(ready2.tuning.tuned).toBe(info.tuned);
    expect(ready2.profileWhy).toBe(info.why);
  }, 600_000);

  test('a forced profile (?tuning=gpu) is used as it is and not tuned', async () => {
    const log = new EventLog();
    const trainer = new Trainer(log.post, { cache: false });
    await trainer.handle({ type: 'init', tuning: 'gpu' });
    const ready = await log.wait('ready');
    expect(ready.profile).toBe('gpu');
    expect(ready.tuning).toMatchObject({ mode: 'gpu', tuned: false, results: [] });
    expect(ready.profileWhy).toBe("the 'gpu' profile, forced by ?tuning=gpu");
    await trainer.handle({ type: 'tune', model: config.model, batch: 4 });
    const e = await log.wait('error');
    expect(e.message).toContain('forced by ?tuning=gpu');
  });
});
