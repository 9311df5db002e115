// A run's lifecycle on any timing (DESIGN.md, "A run's lifecycle"): with every readback delayed by a random
// 0-500 ms (tests/gpu/slowReadback.ts, so maps complete late and out of order, as on a loaded machine or a GPU a
// hundred times faster than the readbacks), the wire order holds for every run: its points in step order, each
// once; evaluations after the points of their step; 'evaluating', 'paused', 'stopped' and 'done' only once every
// point up to their step is posted; 'done' only after the final evaluation; a checkpoint after its step's points.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Trainer } from '../../src/train/trainer';
import type { WorkerEvent } from '../../src/train/protocol';
import { EventLog, runConfig, syntheticCifar } from './trainerHarness';
import { delayReadbacks } from './slowReadback';

/**
 * Checks the protocol's order for run `runId` over `events`; returns the states it went through. Points must be
 * contiguous from `firstStep` + 1 (a run that starts at a checkpoint starts later).
 */
function checkOrder(events: WorkerEvent[], runId: string, firstStep = 0): string[] {
  let reported = firstStep;
  let stepping = true;
  const states: string[] = [];
  const evaluated = new Set<number>();
  for (const [i, e] of events.entries()) {
    const where = `event ${i} (${e.type})`;
    if (e.type === 'metrics') {
      for (const p of e.points.filter((q) => q.runId === runId)) {
        expect(stepping, `${where}: a point of step ${p.step} after the run said ${states.at(-1)}`).toBe(true);
        expect(p.step, `${where}: points in step order, each once`).toBe(reported + 1);
        reported = p.step;
      }
    } else if (e.type === 'evaluation' && e.points[0]?.runId === runId) {
      for (const p of e.points) expect(p.step, `${where}: an evaluation of step ${p.step} before its points`).toBeLessThanOrEqual(reported);
      evaluated.add(e.points[0].step);
    } else if (e.type === 'checkpoint' && e.runId === runId) {
      expect(e.step, `${where}: a checkpoint of step ${e.step} before its points (${reported})`).toBeLessThanOrEqual(reported);
    } else if (e.type === 'runState' && e.runId === runId) {
      if (e.state === 'training') stepping = true;
      else if (e.state !== 'building' && e.state !== 'ready') {
        expect(e.step, `${where}: '${e.state}' at step ${e.step} with points up to ${reported}`).toBe(reported);
        stepping = false;
      }
      if (e.state === 'done') {
        expect(states.at(-1), `${where}: 'done' follows 'evaluating'`).toBe('evaluating');
        expect(evaluated.has(e.step), `${where}: 'done' at ${e.step} before its final evaluation`).toBe(true);
      }
      if (states.at(-1) !== e.state) states.push(e.state);
    }
  }
  return states;
}

const small = { arch: 'residual' as const, depth: 8, width: 4 };

describe('the run lifecycle with readbacks delayed by 0-500 ms', () => {
  let trainer: Trainer;
  let log: EventLog;
  let restore: () => void;
  beforeAll(async () => {
    restore = delayReadbacks(500, 7);
    log = new EventLog();
    trainer = new Trainer(log.post, { cache: false });
    await trainer.setData(syntheticCifar(400, 64), 'synthetic');
  });
  afterAll(() => restore());

  test('twins with evaluations every 8 steps: whole at "done" (24 points each, evaluations at 8, 16, 24 once each)', async () => {
    const from = log.list.length;
    const base = runConfig({ model: small, batchSize: 8, steps: 24, evalEvery: 8, evalImages: 16, evalBnModes: ['eval', 'train'] });
    await trainer.handle({
      type: 'createGroup',
      runs: [
        { runId: 'res', name: 'residual', config: base },
        { runId: 'plain', name: 'plain', config: { ...base, model: { ...small, arch: 'plain' } } },
      ],
      start: true,
    });
    for (const id of ['res', 'plain']) await log.wait('runState', (e) => e.runId === id && e.state === 'done', 240_000, from);
    const events = log.list.slice(from);
    for (const id of ['res', 'plain']) {
      expect(checkOrder(events, id)).toEqual(['building', 'ready', 'training', 'evaluating', 'done']);
      const evals = events.flatMap((e) => (e.type === 'evaluation' && e.points[0].runId === id ? e.points : []));
      expect(evals.map((p) => `${p.step}:${p.bnMode}`)).toEqual(['8:eval', '8:train', '16:eval', '16:train', '24:eval', '24:train']);
    }
    expect(log.of('error')).toEqual([]);
    for (const id of ['res', 'plain']) await trainer.handle({ type: 'deleteRun', runId: id });
  });

  test('pause, resume, save while training, stop: each state and checkpoint after the points up to its step', async () => {
    const from = log.list.length;
    await trainer.handle({
      type: 'createRun',
      runId: 'long',
      name: 'long',
      config: runConfig({ model: small, batchSize: 8, steps: 500 }),
      start: true,
    });
    await log.wait('metrics', (e) => e.points.some((p) => p.runId === 'long' && p.step >= 3), 240_000, from);
    await trainer.handle({ type: 'pause', runId: 'long' });
    // The command resolves once 'paused' is posted; nothing of the run follows it.
    const paused = log.list.filter((e) => e.type === 'runState' && e.runId === 'long').at(-1);
    expect(paused).toMatchObject({ state: 'paused' });
    const atPause = log.list.length;
    await new Promise((r) => setTimeout(r, 800)); // longer than any delayed readback
    expect(log.list.slice(atPause).filter((e) => e.type === 'metrics' && e.points.some((p) => p.runId === 'long'))).toEqual([]);

    await trainer.handle({ type: 'resume', runId: 'long' });
    const resumedAt = (paused as { step: number }).step;
    await log.wait('metrics', (e) => e.points.some((p) => p.runId === 'long' && p.step >= resumedAt + 3), 240_000, from);
    await trainer.handle({ type: 'save', runId: 'long', requestId: 'mid' });
    const ck = await log.wait('checkpoint', (e) => e.requestId === 'mid', 240_000, from);
    expect(ck.step).toBeGreaterThan(resumedAt);
    await log.wait('metrics', (e) => e.points.some((p) => p.runId === 'long' && p.step >= ck.step + 2), 240_000, from);
    await trainer.handle({ type: 'stop', runId: 'long' });
    expect(log.list.filter((e) => e.type === 'runState' && e.runId === 'long').at(-1)).toMatchObject({ state: 'stopped' });

    expect(checkOrder(log.list.slice(from), 'long')).toEqual(['building', 'training', 'paused', 'training', 'stopped']);
    await trainer.handle({ type: 'deleteRun', runId: 'long' });
  });

  test('a pair paused and resumed as one stays at the same step: between any two rounds of the loop, and when paused', async () => {
    const from = log.list.length;
    const base = runConfig({ model: small, batchSize: 8, steps: 500 });
    await trainer.handle({
      type: 'createGroup',
      runs: [
        { runId: 'p1', name: 'twin one', config: base },
        { runId: 'p2', name: 'twin two', config: { ...base, model: { ...small, arch: 'plain' } } },
      ],
      start: true,
    });
    // The runs' own step counters, as the loop advances them (a round steps every training run).
    const runs = (trainer as unknown as { runs: { get(id: string): { step: number } } }).runs;
    const steps = () => [runs.get('p1').step, runs.get('p2').step];
    const pausedAt = (id: string) =>
      log.list.filter((e) => e.type === 'runState' && e.runId === id).at(-1) as { state: string; step: number };
    for (let round = 0; round < 2; round++) {
      const target = steps()[1] + 3;
      await log.wait('metrics', (e) => e.points.some((p) => p.runId === 'p2' && p.step >= target), 240_000, from);
      await trainer.handle({ type: 'pause', runId: 'p1', with: ['p2'] });
      expect(
        [pausedAt('p1'), pausedAt('p2')].map((e) => `${e.state} ${e.step}`),
        `round ${round}: paused together`,
      ).toEqual([`paused ${steps()[0]}`, `paused ${steps()[0]}`]);
      await trainer.handle({ type: 'resume', runId: 'p1', with: ['p2'] });
      // Seen from between the loop's rounds (each macrotask here runs between two of them): never a step apart.
      const seen: string[] = [];
      for (let k = 0; k < 30; k++) {
        await new Promise((r) => setTimeout(r, 0));
        const [a, b] = steps();
        if (a !== b) seen.push(`${a} vs ${b}`);
      }
      expect(seen, `round ${round}: steps apart after resuming together`).toEqual([]);
    }
    await trainer.handle({ type: 'pause', runId: 'p1', with: ['p2'] });
    expect(pausedAt('p1').step).toBe(pausedAt('p2').step);
    expect(log.of('error')).toEqual([]);
    for (const id of ['p1', 'p2']) {
      expect(checkOrder(log.list.slice(from), id)).toEqual([
        'building',
        'ready',
        'training',
        'paused',
        'training',
        'paused',
        'training',
        'paused',
      ]);
      await trainer.handle({ type: 'deleteRun', runId: id });
    }
  });

  test('a step budget ends "paused" after its points; stepping on goes from there; an evaluation names its step', async () => {
    const from = log.list.length;
    const config = runConfig({ model: small, batchSize: 8, steps: 50, evalImages: 16 });
    await trainer.handle({ type: 'createRun', runId: 'steps', name: 'steps', config, start: false });
    await trainer.handle({ type: 'step', runId: 'steps', count: 3 });
    await log.wait('runState', (e) => e.runId === 'steps' && e.state === 'paused', 240_000, from);
    await trainer.handle({ type: 'step', runId: 'steps', count: 2 });
    await log.wait('runState', (e) => e.runId === 'steps' && e.state === 'paused' && e.step === 5, 240_000, from);
    await trainer.handle({ type: 'evaluate', runId: 'steps', split: 'test', bnModes: ['eval'] });
    const ev = await log.wait('evaluation', (e) => e.points[0].runId === 'steps', 240_000, from);
    expect(ev.points[0].step).toBe(5);
    expect(checkOrder(log.list.slice(from), 'steps')).toEqual(['building', 'ready', 'training', 'paused', 'training', 'paused']);
    await trainer.handle({ type: 'deleteRun', runId: 'steps' });
  });

  test('a non-finite loss: the error names the step it went back to, then "paused" at that step, and no point after it', async () => {
    const from = log.list.length;
    const config = runConfig({ model: small, batchSize: 8, lr: 1e30, steps: 60 });
    await trainer.handle({ type: 'createRun', runId: 'nan', name: 'nan', config, start: true });
    const err = await log.wait('error', (e) => e.runId === 'nan', 240_000, from);
    expect(err.code).toBe('nan-loss');
    const paused = await log.wait('runState', (e) => e.runId === 'nan' && e.state === 'paused', 240_000, from);
    expect(paused.step).toBe(err.rolledBackTo);
    const at = log.list.indexOf(paused);
    expect(at).toBeGreaterThan(log.list.indexOf(err));
    await new Promise((r) => setTimeout(r, 800)); // longer than any delayed readback
    expect(log.list.slice(at).filter((e) => e.type === 'metrics' && e.points.some((p) => p.runId === 'nan'))).toEqual([]);
    await trainer.handle({ type: 'deleteRun', runId: 'nan' });
  });
});

// The same fault with the state snapshots' readbacks (every map of 4 kB or more) 1.5 s late and the loss readbacks at
// once: the loss turns non-finite long before any snapshot has come back, and the run must still go back to a state
// it kept (the initial one, which the run waits for when it is built), not stop where it was with nothing kept.
test('a non-finite loss before any snapshot has come back: still rolled back, to the initial state', async () => {
  const restore = delayReadbacks(1500, 1, 4096);
  const log = new EventLog();
  const trainer = new Trainer(log.post, { cache: false });
  try {
    await trainer.setData(syntheticCifar(400, 64), 'synthetic');
    const config = runConfig({ model: small, batchSize: 8, lr: 1e30, steps: 60 });
    await trainer.handle({ type: 'createRun', runId: 'nan', name: 'nan', config, start: true });
    const err = await log.wait('error', (e) => e.runId === 'nan', 240_000);
    expect(err.code).toBe('nan-loss');
    expect(err.rolledBackTo, err.message).toBe(0);
    const paused = await log.wait('runState', (e) => e.runId === 'nan' && e.state === 'paused', 240_000);
    expect(paused.step).toBe(0);
  } finally {
    restore();
    await trainer.handle({ type: 'deleteRun', runId: 'nan' });
  }
});
