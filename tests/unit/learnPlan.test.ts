// What the Learn tour says before "Run it" replaces the form and starts runs (issue 22): the settings it changes,
// and how long the runs take on this device, from the speed its runs measured.
import { describe, expect, test } from 'vitest';
import { formChanges } from '../../src/ui/lib/formChanges';
import { deviceSpeed, durationText, estimateText, macsPerImage, runMacs, stepsOf } from '../../src/ui/lib/duration';
import { PAPER_RECIPE, QUICK_LOOK, type FormConfig } from '../../src/ui/lib/formConfig';
import { countFlops } from '../../src/model/counts';
import type { RunView } from '../../src/ui/store/types';

describe('formChanges', () => {
  test('lists each setting that differs, old → new, the length with its unit', () => {
    const from: FormConfig = { ...QUICK_LOOK, depth: 8, batch: 16, length: 60 };
    const to: FormConfig = { ...QUICK_LOOK, depth: 20, batch: 32, length: 300, trainImages: 500 };
    expect(formChanges(from, to)).toEqual(['depth 8 → 20', 'batch 16 → 32', 'length 60 steps → 300 steps', 'training images all → 500']);
    expect(formChanges(to, to)).toEqual([]);
  });
});

describe('duration', () => {
  test('a run of the form: its steps x batch x 3 forward passes, and its evaluations', () => {
    const f: FormConfig = { ...QUICK_LOOK, evalEvery: 50, evalImages: 500, length: 300, bn: true };
    const fwd = countFlops({ arch: 'residual', depth: 8, width: 8, shortcut: 'A', batchNorm: true, block: 'basic' });
    expect(macsPerImage(f)).toEqual({ train: 3 * fwd, infer: fwd });
    // 300 steps of 32 images; evaluations at 50, 100, ..., 300 and the last: 7, in 2 BN modes, of 500 images
    expect(runMacs(f)).toBe(300 * 32 * 3 * fwd + 7 * 2 * 500 * fwd);
    expect(stepsOf({ ...PAPER_RECIPE, lengthUnit: 'epochs', length: 2, batch: 100 })).toBe(1000);
    expect(stepsOf({ ...PAPER_RECIPE, lengthUnit: 'epochs', length: 2, batch: 100, trainImages: 500 })).toBe(10);
  });

  const run = (over: Partial<RunView>): RunView =>
    ({ id: 'r', name: 'resnet-8', live: true, form: QUICK_LOOK, createdAt: 1, metrics: [], ...over }) as RunView;
  const points = (rates: number[]) => rates.map((imagesPerSec, i) => ({ step: i + 1, imagesPerSec })) as RunView['metrics'];

  test("the device's speed: the latest live run's median images/s x its multiply-adds per image", () => {
    expect(deviceSpeed([])).toBeUndefined();
    expect(deviceSpeed([run({ metrics: points([100, 100]) })]), 'two steps are not a measurement').toBeUndefined();
    expect(deviceSpeed([run({ live: false, metrics: points([100, 100, 100]) })]), 'a restored run ran elsewhere, maybe').toBeUndefined();
    const s = deviceSpeed([
      run({ name: 'old', createdAt: 1, metrics: points([10, 10, 10]) }),
      run({ name: 'new', createdAt: 2, metrics: points([90, 100, 500, 110, 0]) }),
    ])!;
    expect(s.from).toBe('new');
    expect(s.macsPerSec).toBe(105 * macsPerImage(QUICK_LOOK).train); // the median of 90, 100, 110, 500 (0: not measured)
  });

  test('in words: seconds to days; unmeasured says so', () => {
    expect([45, 720, 12_600, 172_800].map(durationText)).toEqual(['45 s', '12 min', '3.5 h', '2.0 days']);
    expect(estimateText(5.1e14, undefined)).toBe(
      "5.1·10^14 multiply-adds; this device's speed is not measured yet (a first run's images/s shows it)",
    );
    expect(estimateText(6e12, { macsPerSec: 1e10, from: 'resnet-8' })).toBe(
      'about 10 min here (6.0·10^12 multiply-adds, at the speed resnet-8 measured)',
    );
  });
});
