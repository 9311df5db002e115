// The BatchNorm lab's drift history (src/ui/lib/bnDrift.ts) and its place in the lab store's reducer.
import { expect, test } from 'vitest';
import { appendDrift, driftPoint, layerDrift } from '../../src/ui/lib/bnDrift';
import { reduceLabEvents, useLab, type LabHistograms } from '../../src/ui/store/lab';

const channels = { batchMean: [1, -1], batchVar: [2, 1], runningMean: [0.5, 0], runningVar: [1, 4] };
const hist = { lo: 0, hi: 1, counts: [1], mean: 0, std: 1 };
const event = (step: number, layer: string, withChannels = true): LabHistograms => ({
  type: 'labHistogram',
  runId: 'r1',
  step,
  images: 8,
  layer,
  layers: ['a', 'b'],
  before: hist,
  after: hist,
  ...(withChannels ? { channels } : {}),
});

test('driftPoint: mean |batch mean - running mean| and mean |batch var - running var| / running var over channels', () => {
  // means: |1-0.5| = 0.5, |-1-0| = 1 -> 0.75; variances: |2-1|/1 = 1, |1-4|/4 = 0.75 -> 0.875
  expect(driftPoint(7, 'a', channels)).toEqual({ step: 7, layer: 'a', mean: 0.75, variance: 0.875 });
});

test('appendDrift keeps every measurement in order and drops the oldest past the cap', () => {
  let h = appendDrift([], { step: 1, layer: 'a', mean: 1, variance: 1 }, 3);
  h = appendDrift(h, { step: 1, layer: 'a', mean: 1, variance: 1 }, 3);
  expect(h.map((p) => p.step)).toEqual([1, 1]);
  for (const step of [2, 3, 4]) h = appendDrift(h, { step, layer: 'b', mean: 0, variance: 0 }, 3);
  expect(h.map((p) => p.step)).toEqual([2, 3, 4]);
  expect(layerDrift(h, 'a')).toEqual([]);
  expect(layerDrift(undefined, 'a')).toEqual([]);
});

test('the lab reducer appends a drift point per histogram with channel statistics, per run and layer', () => {
  let s = useLab.getState();
  s = { ...s, ...reduceLabEvents(s, [event(10, 'a'), event(20, 'b'), event(30, 'a', false), event(40, 'a')]) };
  expect(s.drift.r1.map((p) => [p.step, p.layer])).toEqual([
    [10, 'a'],
    [20, 'b'],
    [40, 'a'],
  ]);
  expect(layerDrift(s.drift.r1, 'a').map((p) => p.step)).toEqual([10, 40]);
  expect(s.drift.r1[0]).toEqual(driftPoint(10, 'a', channels));
  expect(s.histogram.r1.step).toBe(40);
});
