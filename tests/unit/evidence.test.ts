// The readouts that must claim only what the data shows (src/ui/lib/evidence.ts): the plain-vs-residual gap with
// its standard error, and the first/last gradient-norm ratio.
import { expect, test } from 'vitest';
import { errorGap, formatRatio, gradientSpan } from '../../src/ui/lib/evidence';
import type { LayerNorms, MetricPoint } from '../../src/train/protocol';

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
