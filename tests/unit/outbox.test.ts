// The metrics batching contract on a fake clock: however fast points arrive, the timer posts them at most every
// METRICS_MS (100 ms), in order, none lost; flush() posts at once (before an event that must come after them).
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { Outbox } from '../../src/train/outbox';
import type { MetricPoint, WorkerEvent } from '../../src/train/protocol';

const point = (step: number) => ({ runId: 'r', step }) as unknown as MetricPoint;

let posted: { at: number; event: WorkerEvent }[];
let box: Outbox;
beforeEach(() => {
  vi.useFakeTimers();
  posted = [];
  box = new Outbox((event) => posted.push({ at: Date.now(), event }));
});
afterEach(() => vi.useRealTimers());

const stepsOf = (e: WorkerEvent) => (e.type === 'metrics' ? e.points.map((p) => p.step) : []);

test('a point every millisecond for a second goes out in batches at least 100 ms apart, every point once, in order', () => {
  for (let s = 1; s <= 1000; s++) {
    box.metrics([point(s)]);
    vi.advanceTimersByTime(1);
  }
  vi.advanceTimersByTime(100);
  expect(posted.length).toBeGreaterThanOrEqual(9);
  expect(posted.length).toBeLessThanOrEqual(11);
  for (let i = 1; i < posted.length; i++) expect(posted[i].at - posted[i - 1].at).toBeGreaterThanOrEqual(100);
  expect(posted.flatMap((p) => stepsOf(p.event))).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
});

test('nothing is posted while nothing is queued, and a lone point waits one interval', () => {
  vi.advanceTimersByTime(1000);
  expect(posted).toEqual([]);
  box.metrics([point(1)]);
  vi.advanceTimersByTime(99);
  expect(posted).toEqual([]);
  vi.advanceTimersByTime(1);
  expect(posted.map((p) => stepsOf(p.event))).toEqual([[1]]);
  vi.advanceTimersByTime(1000);
  expect(posted).toHaveLength(1);
});

test('flush posts the queued points and norms at once and cancels the timer', () => {
  box.metrics([point(1), point(2)]);
  box.layerNorms({ runId: 'r', step: 2 } as never);
  box.flush();
  expect(posted.map((p) => p.event.type)).toEqual(['metrics', 'layerNorms']);
  expect(stepsOf(posted[0].event)).toEqual([1, 2]);
  vi.advanceTimersByTime(1000);
  expect(posted).toHaveLength(2);
  box.flush();
  expect(posted).toHaveLength(2); // an empty flush posts nothing
});
