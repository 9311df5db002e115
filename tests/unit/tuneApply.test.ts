// applyTuning (src/tune/autotune.ts): which kernels a device runs after one or more tunings, without a GPU.
import { describe, expect, test } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { TUNINGS, type Profile } from '../../src/gpu/tuning';
import { applyTuning, type TuneResult } from '../../src/tune/autotune';

const result = (batch: number, kept: TuneResult['kept'], base: Profile = 'cpu'): TuneResult => ({
  model: 'resnet20',
  batch,
  adapter: 'a',
  timing: 'timestamps',
  base,
  layers: [],
  choices: { [`conv b${batch}`]: { ...TUNINGS[base], gemm: 'tiled' } },
  estimate: { tuned: 1 },
  kept,
  why: kept === 'tuned' ? 'tuned for this GPU: 1 of 31 layer shapes' : `the '${kept}' profile: kept`,
  budgetHit: false,
  searchSeconds: 1,
  seconds: 2,
});

const device = () => ({ tuning: TUNINGS.cpu, profileWhy: 'rule' }) as unknown as Gpu;

describe('applyTuning', () => {
  test('per-layer choices of every tuning that kept them, on the base profile', () => {
    const gpu = device();
    const why = applyTuning(gpu, [result(32, 'tuned'), result(128, 'tuned')]);
    expect([...gpu.layers!.keys()]).toEqual(['conv b32', 'conv b128']);
    expect(gpu.tuning).toBe(TUNINGS.cpu);
    expect(why).toBe('tuned for this GPU (resnet20 batch 32, resnet20 batch 128); 1 of 31 layer shapes');
    expect(gpu.profileWhy).toBe(why);
  });

  test('a later tuning that kept the base profile leaves the earlier choices in effect', () => {
    const gpu = device();
    const why = applyTuning(gpu, [result(32, 'tuned'), result(128, 'cpu')]);
    expect([...gpu.layers!.keys()]).toEqual(['conv b32']);
    expect(gpu.tuning).toBe(TUNINGS.cpu);
    expect(why).toBe("the 'cpu' profile: kept; per-layer choices in effect for resnet20 batch 32");
  });

  test('the other fixed profile, kept by the latest tuning, runs everywhere', () => {
    const gpu = device();
    applyTuning(gpu, [result(32, 'tuned'), result(128, 'gpu')]);
    expect(gpu.layers).toBeUndefined();
    expect(gpu.tuning).toBe(TUNINGS.gpu);
  });

  test('nothing kept: the base profile and no layers', () => {
    const gpu = device();
    applyTuning(gpu, [result(32, 'cpu')]);
    expect(gpu.layers).toBeUndefined();
    expect(gpu.tuning).toBe(TUNINGS.cpu);
    expect(applyTuning(gpu, [])).toBe(gpu.profileWhy);
  });
});
