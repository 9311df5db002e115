// Runs at a larger input size (transfer learning at 64, 96, 128 or 224 pixels): the config checks, the form and its
// links, and what the memory planner says of ResNet-50 at 224x224, with the largest batch that fits a budget.
import { describe, expect, test } from 'vitest';
import { checkRunConfig } from '../../src/train/runConfig';
import { largestBatch, planTraining } from '../../src/runtime/memoryPlan';
import { fromRunConfig, PAPER_RECIPE, toRunConfig, withFamily, type FormConfig } from '../../src/ui/lib/formConfig';
import { queryFromForm, readFormQuery } from '../../src/ui/lib/urlConfig';
import { torchScript } from '../../src/train/torchScript';
import type { ModelConfig } from '../../src/model/config';
import { outOfMemoryAdvice } from '../../src/train/memoryPlan';

const resnet50: ModelConfig = { family: 'imagenet', arch: 'residual', depth: 50, classes: 10 };
const imagenetForm: FormConfig = {
  ...PAPER_RECIPE,
  ...withFamily(PAPER_RECIPE, 'imagenet'),
  depth: 50,
  block: 'bottleneck',
  imageSize: 224,
};

describe('input size', () => {
  test('RunConfig: whole pixels in 32..512; the PyTorch export refuses anything but 32', () => {
    const c = toRunConfig(imagenetForm);
    expect(c.imageSize).toBe(224);
    expect(() => checkRunConfig(c)).not.toThrow();
    expect(() => checkRunConfig({ ...c, imageSize: 16 })).toThrow(/input size must be a whole number of pixels in 32\.\.512/);
    expect(() => checkRunConfig({ ...c, imageSize: 64.5 })).toThrow(/not 64\.5/);
    const cifar = toRunConfig(PAPER_RECIPE);
    expect(() => torchScript('x', { ...cifar, imageSize: 64 })).toThrow(/trains at 32x32 so far, not at the run's 64x64 inputs/);
  });

  test('the form: ImageNet family only, kept through a run config and a link, dropped with the CIFAR family', () => {
    expect(fromRunConfig(toRunConfig(imagenetForm)).imageSize).toBe(224);
    expect(toRunConfig({ ...imagenetForm, imageSize: undefined }).imageSize).toBeUndefined();
    expect(withFamily(imagenetForm, 'cifar').imageSize).toBeUndefined();
    expect(toRunConfig({ ...PAPER_RECIPE, imageSize: 64 }).imageSize).toBeUndefined(); // a CIFAR form has no such setting
    const q = queryFromForm(imagenetForm);
    expect(q).toContain('size=224');
    expect(readFormQuery(`?${q}`).form.imageSize).toBe(224);
    expect(readFormQuery(`?family=imagenet&depth=18&size=50`).form.imageSize).toBeUndefined();
  });

  test('ResNet-50 at 224x224 plans 49x the activations of 32x32 (to within the pooled tail), the same weights', () => {
    const small = planTraining(resnet50, 8, 0, undefined, 32);
    const big = planTraining(resnet50, 8, 0, undefined, 224);
    expect(big.persistentBytes).toBe(small.persistentBytes);
    const ratio = big.activationBytes / small.activationBytes;
    expect(ratio).toBeGreaterThan(30);
    expect(ratio).toBeLessThan(60);
    console.log(
      `ResNet-50, batch 8: ${(small.activationBytes / 2 ** 20).toFixed(1)} MiB of activations at 32x32, ${(big.activationBytes / 2 ** 20).toFixed(1)} MiB at 224x224`,
    );
  });

  test('largest batch that fits: exactly the batch whose plan is the budget, and 0 when not even one fits', () => {
    const total = (b: number) => {
      const p = planTraining(resnet50, b, 0, undefined, 224);
      return p.activationBytes + p.persistentBytes;
    };
    const budget = total(5);
    expect(largestBatch(resnet50, 16, 0, budget, undefined, 224)).toBe(5);
    expect(largestBatch(resnet50, 16, 0, budget - 1, undefined, 224)).toBe(4);
    expect(largestBatch(resnet50, 3, 0, budget, undefined, 224)).toBe(3); // the asked batch fits
    expect(largestBatch(resnet50, 16, 0, total(1) - 1, undefined, 224)).toBe(0);
    // Recomputation (segments of 4 blocks) fits a larger batch in the same budget.
    expect(largestBatch(resnet50, 16, 4, budget, undefined, 224)).toBeGreaterThan(5);
  });
});

test("out of GPU memory: the advice gives the run's plan and the batches that fit the planner's budget", () => {
  const c = toRunConfig({ ...imagenetForm, batch: 16 });
  const total = (b: number, every: number) => {
    const p = planTraining(resnet50, b, every, undefined, 224);
    return p.activationBytes + p.persistentBytes;
  };
  const advice = outOfMemoryAdvice({ ...c, model: resnet50 }, total(6, 0));
  expect(advice).toMatch(
    new RegExp(
      `^At batch 16 and 224x224 inputs this run plans ${(total(16, 0) / 2 ** 20).toFixed(1)} MiB \\(${(total(16, 4) / 2 ** 20).toFixed(1)} MiB with recomputation every 4 blocks\\)\\. ` +
        `Within the planner's budget of ${(total(6, 0) / 2 ** 20).toFixed(1)} MiB, batch 6 fits without recomputation and batch \\d+ with it`,
    ),
  );
  expect(outOfMemoryAdvice({ ...c, model: resnet50 }, 1000)).toMatch(/no batch fits without recomputation and no batch with it/);
});
