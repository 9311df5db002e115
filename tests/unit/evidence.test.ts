// The readouts that must claim only what the data shows (src/ui/lib/evidence.ts): the plain-vs-residual gap with
// its standard error, and the first/last gradient-norm ratio.
import { expect, test } from 'vitest';
import { errorGap, formatRatio, gapVerdict, gradientSpan, overfitGap, windowWords } from '../../src/ui/lib/evidence';
import type { EvalPoint, LayerNorms, MetricPoint } from '../../src/train/protocol';

const points = (accs: number[]): MetricPoint[] =>
  accs.map((trainAcc, i) => ({ runId: 'r', step: i + 1, epoch: 0, lr: 0.1, trainLoss: 1, trainAcc, imagesPerSec: 1, gpuBytes: 0 }));

test('errorGap: mean difference over the window and its standard error, computed by hand', () => {
  // plain errors 0.5, 0.7, 0.6, 0.4, 0.8 (mean 0.6, sample var 0.025); residual 0.5, 0.5, 0.6, 0.4, 0.5 (mean 0.5, var 0.005)
  const g = errorGap(points([0.5, 0.3, 0.4, 0.6, 0.2]), points([0.5, 0.5, 0.4, 0.6, 0.5]))!;
  expect(g.steps).toBe(5);
  expect(g.plain).toBeCloseTo(0.6, 12);
  expect(g.residual).toBeCloseTo(0.5, 12);
  expect(g.gap).toBeCloseTo(0.1, 12);
  expect(g.se).toBeCloseTo(Math.sqrt(0.025 / 5 + 0.005 / 5), 12);
  // 0.1 < 2 * 0.0775: within the noise
  expect(g.distinguishable).toBe(false);
});

test('errorGap: only the last `window` steps count; a clear gap with little spread is distinguishable', () => {
  const early = Array.from({ length: 100 }, () => 0.1); // would dominate the mean if the window were ignored
  const plain = points([...early, ...Array.from({ length: 50 }, (_, i) => 0.5 + (i % 2 ? 0.01 : -0.01))]);
  const res = points([...early, ...Array.from({ length: 50 }, (_, i) => 0.8 + (i % 2 ? 0.01 : -0.01))]);
  const g = errorGap(plain, res)!;
  expect(g.steps).toBe(50);
  expect(g.gap).toBeCloseTo(0.3, 12);
  expect(g.se).toBeLessThan(0.01);
  expect(g.distinguishable).toBe(true);
});

test('errorGap: undefined until both runs have two steps; the shorter run sets the window', () => {
  expect(errorGap(points([0.5]), points([0.5, 0.4, 0.5, 0.5, 0.5]))).toBeUndefined();
  expect(errorGap(points([0.5, 0.3]), points([0.5, 0.4, 0.5]))!.steps).toBe(2);
  expect(errorGap(points(Array(6).fill(0.5)), points(Array(80).fill(0.5)))!.steps).toBe(6);
});

test('errorGap: the twins are compared at the same step numbers, whichever is ahead', () => {
  // The residual twin is 100 steps ahead and its error fell to 0.1 after step 100; at steps 51-100 it was 0.5, as
  // the plain net's. Comparing each run's own last 50 steps would report a 0.4 gap that is only the head start.
  const plain = points(Array(100).fill(0.5));
  const res = points([...Array(100).fill(0.5), ...Array(100).fill(0.9)]);
  const g = errorGap(plain, res)!;
  expect(g.steps).toBe(50);
  expect(g.gap).toBeCloseTo(0, 12);
  expect(g.distinguishable).toBe(false);
  // Steps missing from one run (lost points, a resume) are left out of both.
  const gapped = res.filter((p) => p.step % 2 === 0);
  expect(errorGap(plain, gapped)!.steps).toBe(50);
  expect(errorGap(plain.slice(0, 1), res)).toBeUndefined();
});

test('gapVerdict on fixed runs: plain worse, residual worse, indistinguishable, too few steps', () => {
  const alternating = (mean: number, n = 50) => points(Array.from({ length: n }, (_, i) => 1 - mean + (i % 2 ? 0.01 : -0.01)));
  expect(gapVerdict(errorGap(alternating(0.4), alternating(0.2)))).toBe('plain trains worse');
  expect(gapVerdict(errorGap(alternating(0.2), alternating(0.4)))).toBe('plain ahead so far');
  // 0.30 vs 0.31 with a spread of 0.2: within two standard errors
  const noisy = (mean: number) => points(Array.from({ length: 50 }, (_, i) => 1 - mean + (i % 2 ? 0.2 : -0.2)));
  expect(gapVerdict(errorGap(noisy(0.31), noisy(0.3)))).toBe('not distinguishable yet');
  expect(gapVerdict(errorGap(alternating(0.4, 1), alternating(0.2)))).toBe('waiting for steps');
});

test('gradientSpan: first conv over last conv on the main path, fc and projection shortcuts left out', () => {
  const n: LayerNorms = {
    runId: 'r',
    step: 7,
    layers: ['conv1.weight', 'layer1.0.conv1.weight', 'layer2.0.shortcut.0.weight', 'layer3.0.conv2.weight', 'fc.weight'],
    grad: [0.02, 0.5, 9, 0.4, 100],
    weight: [1, 1, 1, 1, 1],
  };
  const s = gradientSpan(n)!;
  expect(s.first).toBe('conv1.weight');
  expect(s.last).toBe('layer3.0.conv2.weight');
  expect(s.ratio).toBeCloseTo(0.05, 12);
  expect(s.step).toBe(7);
  expect(gradientSpan({ ...n, grad: [0, 0.5, 9, 0.4, 100] })).toBeUndefined();
  expect(formatRatio(0.05)).toBe('5e−2×');
  expect(formatRatio(1.234)).toBe('1.2×');
});

test('overfitGap: training error over the last tenth against the last eval-mode test error, with their standard errors', () => {
  const test = (accuracy: number, images = 1000, step = 40): EvalPoint => ({
    runId: 'r',
    step,
    epoch: 0,
    split: 'test',
    bnMode: 'eval',
    loss: 1,
    accuracy,
    images,
  });
  // 40 steps, the last 4 with errors 0.01, 0.03, 0.01, 0.03 (mean 0.02, sample var 1/7500): memorised
  const m = points([...Array(36).fill(0.5), 0.99, 0.97, 0.99, 0.97]);
  const g = overfitGap(m, [test(0.2, 1000, 20), { ...test(0.9), bnMode: 'train' }, test(0.6)])!;
  expect(g.trainErr).toBeCloseTo(0.02, 12);
  expect(g.trainSe).toBeCloseTo(Math.sqrt(1 / 7500 / 4), 12);
  expect(g.testErr).toBeCloseTo(0.4, 12); // the last eval-mode test evaluation, not the train-mode one
  expect(g.testSe).toBeCloseTo(Math.sqrt((0.4 * 0.6) / 1000), 12);
  expect(g.gap).toBeCloseTo(0.38, 12);
  expect(g.distinguishable).toBe(true);
  // A test error no worse than training error is no overfitting, and a tiny test set is noise.
  expect(overfitGap(m, [test(0.98)])!.distinguishable).toBe(false);
  expect(overfitGap(m, [test(0.9, 10)])!.distinguishable).toBe(false);
  expect(overfitGap(m, [])).toBeUndefined();
  expect(overfitGap(m.slice(0, 1), [test(0.6)])).toBeUndefined();
});

test('the window in words: no "at most 50" once it is full', () => {
  expect(windowWords(50)).toBe('the last 50 steps both runs have trained (the same step numbers)');
  expect(windowWords(12)).toBe('the 12 steps both runs have trained so far (the same step numbers; the window grows to 50)');
});
