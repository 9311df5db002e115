// `npm run bench:soak`'s verdict (src/node/soak.ts): GPU memory that grows by one leaked buffer per step is a leak
// (exit 3); memory that stays put is flat and memory given back is not a leak (exit 0); the time per step is judged
// against 10% of its mean over the run.
import { expect, test } from 'vitest';
import { soakExitCode, soakVerdict, type Sample } from '../../src/node/soak';

const samples = (bytesAt: (step: number) => number, msAt: (step: number) => number = () => 5): Sample[] =>
  Array.from({ length: 20 }, (_, i) => {
    const step = 100 * (i + 1);
    return { step, gpuBytes: bytesAt(step), gpuBuffers: 0, heapBytes: 0, msPerStep: msAt(step) };
  });

test('one leaked 256-byte buffer per step: GROWS, exit 3', () => {
  const v = soakVerdict(samples((s) => 50e6 + 256 * s));
  expect(v.gpuBytes).toBe('GROWS');
  expect(soakExitCode(v)).toBe(3);
});

test('no leak: flat, exit 0; memory given back: shrinks, not a leak', () => {
  const flat = soakVerdict(samples(() => 50e6));
  expect(flat).toEqual({ gpuBytes: 'flat', time: 'flat' });
  expect(soakExitCode(flat)).toBe(0);
  const shrinks = soakVerdict(samples((s) => 50e6 - 1024 * s));
  expect(shrinks.gpuBytes).toBe('shrinks');
  expect(soakExitCode(shrinks)).toBe(0);
});

test('time per step: a 50% rise over the run slows down, a 5% one is flat; one sample is too few', () => {
  expect(
    soakVerdict(
      samples(
        () => 1,
        (s) => 5 + (2.5 * s) / 2000,
      ),
    ).time,
  ).toBe('slows down');
  expect(
    soakVerdict(
      samples(
        () => 1,
        (s) => 5 - (2.5 * s) / 2000,
      ),
    ).time,
  ).toBe('speeds up');
  expect(
    soakVerdict(
      samples(
        () => 1,
        (s) => 5 + (0.25 * s) / 2000,
      ),
    ).time,
  ).toBe('flat');
  expect(soakVerdict(samples(() => 1).slice(0, 1))).toEqual({ gpuBytes: 'too few samples', time: 'too few samples' });
});
