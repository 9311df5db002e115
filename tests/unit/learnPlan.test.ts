// What the Learn tour says before "Run it" replaces the form and starts runs (issue 22): the settings it changes,
// and how long the runs take on this device, from the speed its runs measured.
import { describe, expect, test } from 'vitest';
import { formChanges } from '../../src/ui/lib/formChanges';
import { deviceSpeed, durationText, estimateText, macsPerImage, runMacs, stepsOf, unmeasuredWhy } from '../../src/ui/lib/duration';
import { fitTwins, FIT_SECONDS } from '../../src/ui/lib/deviceFit';
import type { SpeedProbe } from '../../src/train/protocol';
import { LEARN_TWINS, PAPER_RECIPE, QUICK_LOOK, type FormConfig } from '../../src/ui/lib/formConfig';
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
    expect(s.said).toBe('at the speed new measured');
    expect(s.macsPerSec).toBe(105 * macsPerImage(QUICK_LOOK).train); // the median of 90, 100, 110, 500 (0: not measured)
  });

  const probe: SpeedProbe = { model: 'ResNet-20, width 8', batch: 32, steps: 1, ms: 1000, imagesPerSec: 32, trainMacsPerImage: 3e7 };

  test("before any run, the speed probe's figure; a run's measurement wins over it", () => {
    expect(deviceSpeed([], probe)).toEqual({
      macsPerSec: 32 * 3e7,
      from: 'speed test',
      said: 'at the speed a short test measured: one step of ResNet-20, width 8 at batch 32',
    });
    expect(deviceSpeed([], { ...probe, imagesPerSec: 0 }), 'a zero rate is no measurement').toBeUndefined();
    expect(deviceSpeed([run({ metrics: points([100, 100, 100]) })], probe)!.from).toBe('resnet-8');
    expect(unmeasuredWhy(true, undefined)).toBe('measuring it now');
    expect(unmeasuredWhy(false, 'device lost')).toBe("the speed test failed (device lost); a first run's images/s shows it");
    expect(unmeasuredWhy(false, undefined)).toBe("a first run's images/s shows it, or “Measure speed”");
  });

  test('the twins sized for this device: the longest length whose pair fits in 3 minutes, 100 steps at least', () => {
    const pair = (steps: number) => 2 * runMacs({ ...LEARN_TWINS, length: steps, evalEvery: steps / 5 });
    // A speed at which exactly 400 steps of the pair take 180 s: 400 is chosen, not 500.
    const fit = fitTwins({ macsPerSec: pair(400) / 180, from: 'x', said: 'x' });
    expect(fit.form).toEqual({ ...LEARN_TWINS, length: 400, evalEvery: 80 });
    expect(fit.seconds).toBeCloseTo(180, 6);
    // A fast device: the most offered; a very slow one: 100 steps, and its real time said.
    expect(fitTwins({ macsPerSec: 1e15, from: 'x', said: 'x' }).form.length).toBe(2000);
    const slow = fitTwins({ macsPerSec: pair(100) / 1000, from: 'x', said: 'x' });
    expect(slow.form.length).toBe(100);
    expect(slow.seconds).toBeCloseTo(1000, 6);
    expect(FIT_SECONDS).toBe(180);
  });

  test('in words: seconds to days; unmeasured says so', () => {
    expect([45, 720, 12_600, 172_800].map(durationText)).toEqual(['45 s', '12 min', '3.5 h', '2.0 days']);
    expect(estimateText(5.1e14, undefined)).toBe(
      "5.1·10^14 multiply-adds; this device's speed is not measured yet (a first run's images/s shows it)",
    );
    expect(estimateText(5.1e14, undefined, 'measuring it now')).toBe(
      "5.1·10^14 multiply-adds; this device's speed is not measured yet (measuring it now)",
    );
    expect(estimateText(6e12, { macsPerSec: 1e10, from: 'resnet-8', said: 'at the speed resnet-8 measured' })).toBe(
      'about 10 min here (6.0·10^12 multiply-adds, at the speed resnet-8 measured)',
    );
  });
});
