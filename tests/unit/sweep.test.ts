// The depth sweep's queue: one run at a time, both families at every depth, final errors from the runs, the
// queue and finished results kept across a reload (a second store over the same storage), CSV export.
import { describe, expect, test } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { PAPER_RECIPE } from '../../src/ui/lib/formConfig';
import {
  depthFindings,
  entryForm,
  finalErrors,
  findingText,
  isFinished,
  makeSweep,
  markStarted,
  nextEntry,
  observe,
  requeueInterrupted,
  sweepChartRows,
  sweepCsv,
  type RunOutcome,
} from '../../src/ui/components/story/sweep';
import { createSweepStore, SWEEP_KEY } from '../../src/ui/components/story/sweepStore';

const run = (over: Partial<RunOutcome> = {}): RunOutcome => ({ state: 'training', live: true, step: 0, metrics: [], evals: [], ...over });
const finished = (acc: number, testAcc: number): RunOutcome =>
  run({
    state: 'done',
    step: 20,
    metrics: Array.from({ length: 20 }, (_, i) => ({ step: i + 1, trainAcc: i < 18 ? 0 : acc })),
    evals: [
      { split: 'test', bnMode: 'train', accuracy: 0.1, step: 20 },
      { split: 'test', bnMode: 'eval', accuracy: testAcc, step: 20 },
    ],
  });

describe('sweep queue', () => {
  test('queues both families at every depth, shallow first, and runs one at a time', () => {
    let s = makeSweep('s', PAPER_RECIPE, [32, 20, 20]);
    expect(s.entries.map((e) => `${e.family}-${e.depth}`)).toEqual(['residual-20', 'plain-20', 'residual-32', 'plain-32']);
    expect(nextEntry(s)).toBe(0);
    expect(entryForm(s, s.entries[1])).toEqual({ ...PAPER_RECIPE, arch: 'plain', depth: 20 });
    s = markStarted(s, 0, 'r1');
    expect(nextEntry(s)).toBeUndefined(); // one at a time
    const runs: Record<string, RunOutcome> = { r1: run({ step: 5 }) };
    expect(observe(s, runs)).toBe(s); // still training: nothing changes
    runs.r1 = finished(0.9, 0.8);
    s = observe(s, runs);
    expect(s.entries[0]).toMatchObject({ status: 'done', steps: 20 });
    expect(s.entries[0].trainErr).toBeCloseTo(0.1, 12); // the last tenth of the steps (2 of 20)
    expect(s.entries[0].testErr).toBeCloseTo(0.2, 12); // eval-mode BN
    expect(nextEntry(s)).toBe(1);
  });

  test("a run still 'evaluating' keeps its entry running ('done' comes after its final evaluation); failures and stops do not block the queue", () => {
    let s = markStarted(makeSweep('s', PAPER_RECIPE, [8]), 0, 'r1');
    expect(observe(s, { r1: run({ state: 'evaluating', step: 4, metrics: [{ step: 4, trainAcc: 0.5 }] }) })).toBe(s);
    s = observe(s, { r1: run({ state: 'error', error: 'out of memory' }) });
    expect(s.entries[0]).toMatchObject({ status: 'failed', error: 'out of memory' });
    s = markStarted(s, 1, 'r2');
    s = observe(s, { r2: run({ state: 'stopped' }) });
    expect(s.entries[1].status).toBe('failed');
    expect(isFinished(s)).toBe(true);
    expect(nextEntry(s)).toBeUndefined();
  });

  test('a stopped sweep starts nothing more', () => {
    const s = { ...makeSweep('s', PAPER_RECIPE, [8, 14]), active: false };
    expect(nextEntry(s)).toBeUndefined();
  });

  test('final training error averages the last tenth of the steps', () => {
    expect(finalErrors(run({ metrics: [{ step: 1, trainAcc: 0.2 }] }))).toEqual({
      trainErr: 0.8,
      trainErrSe: undefined,
      testErr: undefined,
    });
    // 20 steps: the last 2 (errors 0.1 and 0.3): mean 0.2, sample sd sqrt(0.02), standard error sqrt(0.02 / 2) = 0.1.
    const m = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, trainAcc: i === 18 ? 0.9 : i === 19 ? 0.7 : 0 }));
    const f = finalErrors(run({ metrics: m }));
    expect(f.trainErr).toBeCloseTo(0.2, 12);
    expect(f.trainErrSe).toBeCloseTo(0.1, 12);
  });
});

describe('sweep persistence', () => {
  const storage = () => {
    const m = new Map<string, string>();
    const s: StateStorage = { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
    return { m, s };
  };

  test('the queue and finished results survive a reload; the interrupted entry goes back to the queue', () => {
    const { m, s } = storage();
    const a = createSweepStore(() => s);
    a.getState().start('s1', PAPER_RECIPE, [20, 32]);
    a.getState().update((x) => markStarted(x, 0, 'r1'));
    a.getState().update((x) => observe(x, { r1: finished(0.95, 0.9) }));
    a.getState().update((x) => markStarted(x, 1, 'r2'));
    expect(JSON.parse(m.get(SWEEP_KEY)!).state.sweep.id).toBe('s1');

    // "Reload": a fresh store over the same storage, then the driver's first step with the restored (not live) runs.
    const b = createSweepStore(() => s);
    const restored = b.getState().sweep!;
    expect(restored.entries.map((e) => e.status)).toEqual(['done', 'running', 'queued', 'queued']);
    expect(restored.entries[0].testErr).toBeCloseTo(0.1, 12);
    const after = requeueInterrupted(restored, { r1: { ...finished(0.95, 0.9), live: false }, r2: run({ live: false, state: 'stopped' }) });
    expect(after.entries.map((e) => e.status)).toEqual(['done', 'queued', 'queued', 'queued']);
    expect(after.entries[1].runId).toBeUndefined();
    expect(nextEntry(after)).toBe(1);
  });

  test('stop and clear are kept too', () => {
    const { s } = storage();
    const a = createSweepStore(() => s);
    a.getState().start('s1', PAPER_RECIPE, [8]);
    a.getState().stop();
    expect(createSweepStore(() => s).getState().sweep!.active).toBe(false);
    a.getState().clear();
    expect(createSweepStore(() => s).getState().sweep).toBeUndefined();
  });
});

test('CSV and chart rows carry both families and the paper marks', () => {
  let s = makeSweep('s', PAPER_RECIPE, [20, 56, 110]);
  s = observe(markStarted(s, 0, 'r1'), { r1: finished(0.9, 0.9) });
  s = observe(markStarted(s, 1, 'r2'), { r2: finished(0.8, 0.85) });
  expect(sweepCsv(s).split('\n')).toEqual([
    'family,depth,status,steps,train_error_pct,test_error_pct,train_error_se_pct,paper_test_error_pct',
    'residual,20,done,20,10.00,10.00,0.00,8.75',
    'plain,20,done,20,20.00,15.00,0.00,',
    'residual,56,queued,,,,,6.97',
    'plain,56,queued,,,,,',
    'residual,110,queued,,,,,6.43',
    'plain,110,queued,,,,,',
    '',
  ]);
  const rows = sweepChartRows(s);
  expect(rows[0]).toMatchObject({ depth: 20, paper: 8.75 });
  expect(rows[0].residualTest).toBeCloseTo(10, 10);
  expect(rows[0].plainTest).toBeCloseTo(15, 10);
  expect(rows[2]).toMatchObject({ depth: 110, residualTest: undefined, paper: 6.43 });
  // Only measured errors and Table 6's marks: no series the app did not measure or a source does not give.
  for (const r of rows)
    expect(Object.keys(r).sort()).toEqual(['depth', 'paper', 'plainTest', 'plainTrain', 'residualTest', 'residualTrain']);
  expect(rows[1]).toMatchObject({ depth: 56, plainTest: undefined, plainTrain: undefined, paper: 6.97 });
});

describe('what a sweep found, from its finished entries only', () => {
  // A run whose last tenth (steps 19, 20) has per-batch errors e - d and e + d: mean e, standard error d.
  const spread = (e: number, d: number): RunOutcome =>
    run({
      state: 'done',
      step: 20,
      metrics: Array.from({ length: 20 }, (_, i) => ({ step: i + 1, trainAcc: i === 18 ? 1 - e + d : i === 19 ? 1 - e - d : 0 })),
      evals: [],
    });
  const sweepOf = (runs: [number, number][]) => {
    let s = makeSweep('s', PAPER_RECIPE, [20, 56], ['plain']);
    runs.forEach((r, i) => (s = observe(markStarted(s, i, `r${i}`), { [`r${i}`]: spread(...r) })));
    return s;
  };

  test('the deeper plain net training worse, by more than two standard errors', () => {
    const [f] = depthFindings(
      sweepOf([
        [0.1, 0.01],
        [0.2, 0.01],
      ]),
    );
    expect(f).toMatchObject({ family: 'plain', distinguishable: true });
    expect(f.diff).toBeCloseTo(0.1, 12);
    expect(f.se).toBeCloseTo(Math.SQRT2 * 0.01, 12);
    expect(findingText(f)).toBe('plain-56 vs plain-20: training error 20.0% vs 10.0% (+10.0 ± 1.4 pts, plain-56 trains worse).');
  });

  test('the deeper net training better, and a difference within noise', () => {
    const [better] = depthFindings(
      sweepOf([
        [0.2, 0.01],
        [0.1, 0.01],
      ]),
    );
    expect(better.diff).toBeLessThan(0);
    expect(findingText(better)).toBe('plain-56 vs plain-20: training error 10.0% vs 20.0% (−10.0 ± 1.4 pts, plain-56 trains better).');
    const [noise] = depthFindings(
      sweepOf([
        [0.1, 0.05],
        [0.12, 0.05],
      ]),
    );
    expect(noise.distinguishable).toBe(false);
    expect(findingText(noise)).toContain('within batch noise');
  });

  test('one-step runs have no spread: the finding says so instead of calling it noise', () => {
    let s = makeSweep('s', PAPER_RECIPE, [20, 56], ['plain']);
    const one = (acc: number) => run({ state: 'done', step: 1, metrics: [{ step: 1, trainAcc: acc }], evals: [] });
    s = observe(markStarted(s, 0, 'a'), { a: one(0.9) });
    s = observe(markStarted(s, 1, 'b'), { b: one(0.5) });
    const [f] = depthFindings(s);
    expect(f.se).toBeUndefined();
    expect(f.distinguishable).toBe(false);
    expect(findingText(f)).toBe('plain-56 vs plain-20: training error 50.0% vs 10.0% (+40.0 pts, too few steps to tell from batch noise).');
  });

  test('nothing is claimed with fewer than two finished depths', () => {
    expect(depthFindings(sweepOf([[0.1, 0.01]]))).toEqual([]);
  });
});
