import { describe, expect, test } from 'vitest';
import { DEFAULT_STEPS, learningRate, stepsPerEpoch, totalSteps, type ScheduleConfig } from '../../src/train/schedule';
import { EpochSampler } from '../../src/train/sampler';

const base: ScheduleConfig = { lr: 0.1, schedule: 'step', warmupSteps: 0 };

describe('learning-rate schedules', () => {
  test("'step' divides by 10 at 50% and 75% of the run (the paper's 32k and 48k of 64k)", () => {
    const lr = (s: number) => learningRate(base, s, 64_000);
    expect(lr(0)).toBe(0.1);
    expect(lr(31_999)).toBe(0.1);
    expect(lr(32_000)).toBeCloseTo(0.01, 12);
    expect(lr(47_999)).toBeCloseTo(0.01, 12);
    expect(lr(48_000)).toBeCloseTo(0.001, 12);
    expect(lr(63_999)).toBeCloseTo(0.001, 12);
  });

  test("'constant' stays put; 'cosine' falls from lr to 0 over the run", () => {
    expect(learningRate({ ...base, schedule: 'constant' }, 123, 200)).toBe(0.1);
    const cos = (s: number) => learningRate({ ...base, schedule: 'cosine' }, s, 101);
    expect(cos(0)).toBeCloseTo(0.1, 12);
    expect(cos(50)).toBeCloseTo(0.05, 12);
    expect(cos(100)).toBeCloseTo(0, 12);
    for (let s = 1; s <= 100; s++) expect(cos(s)).toBeLessThan(cos(s - 1));
  });

  test('linear warm-up from warmupLr to lr, then the schedule', () => {
    const c: ScheduleConfig = { lr: 0.1, schedule: 'cosine', warmupSteps: 10, warmupLr: 0.01 };
    expect(learningRate(c, 0, 110)).toBeCloseTo(0.01, 12);
    expect(learningRate(c, 5, 110)).toBeCloseTo(0.055, 12);
    expect(learningRate(c, 10, 110)).toBeCloseTo(0.1, 12); // cosine starts after the warm-up
    expect(learningRate(c, 109, 110)).toBeCloseTo(0, 12);
    // warmupLr defaults to lr / 10
    expect(learningRate({ ...base, warmupSteps: 4 }, 0, 100)).toBeCloseTo(0.01, 12);
    expect(learningRate({ ...base, warmupSteps: 4 }, 2, 100)).toBeCloseTo(0.055, 12);
  });

  test('run length: steps wins over epochs; epochs drop the last partial batch; default 64k', () => {
    expect(stepsPerEpoch(50_000, 128)).toBe(390);
    expect(stepsPerEpoch(10, 128)).toBe(1);
    expect(totalSteps({ batchSize: 128, steps: 500, epochs: 3 }, 50_000)).toBe(500);
    expect(totalSteps({ batchSize: 128, epochs: 3 }, 50_000)).toBe(1170);
    expect(totalSteps({ batchSize: 128 }, 50_000)).toBe(DEFAULT_STEPS);
  });
});

describe('epoch sampler', () => {
  const ids = Uint32Array.from({ length: 20 }, (_, i) => 100 + i);

  test('each epoch visits every image once, in a seeded order that changes per epoch', () => {
    const s = new EpochSampler(ids, 5, 7);
    const epoch = (e: number) => [0, 1, 2, 3].flatMap((i) => Array.from(s.indices(e * 4 + i)));
    expect([...epoch(0)].sort()).toEqual([...ids]);
    expect([...epoch(1)].sort()).toEqual([...ids]);
    expect(epoch(0)).not.toEqual(epoch(1));
    expect(s.epochOf(7)).toBe(1);
  });

  test('same seed, same batches, in any order of asking; another seed differs', () => {
    const a = new EpochSampler(ids, 5, 7);
    const b = new EpochSampler(ids, 5, 7);
    const later = Array.from(b.indices(9));
    expect(Array.from(a.indices(0))).toEqual(Array.from(b.indices(0)));
    expect(Array.from(a.indices(9))).toEqual(later);
    expect(Array.from(new EpochSampler(ids, 5, 8).indices(0))).not.toEqual(Array.from(a.indices(0)));
  });

  test('a batch larger than the split wraps around', () => {
    const s = new EpochSampler(Uint32Array.of(3, 4, 5), 8, 1);
    const got = Array.from(s.indices(0));
    expect(got).toHaveLength(8);
    for (const v of got) expect([3, 4, 5]).toContain(v);
  });
});
