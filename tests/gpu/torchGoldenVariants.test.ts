// The PyTorch golden beyond ResNet-8 option A (tests/gpu/torchGolden.test.ts): option B projections, bottleneck
// blocks with either shortcut, a plain net and a net without BatchNorm, each three SGD steps from our initial
// state on seeded batches (tests/golden/resnet8Inputs.ts GOLDEN_VARIANTS) against PyTorch in float64
// (scripts/torch_golden.py --variants: its own model code, not our graph, autodiff or reference ops), with the
// same thresholds as ResNet-8: losses, correct counts, every weight's norm, every BN running statistic.
import { beforeAll, describe, test } from 'vitest';
import { buildNetwork, createEngine, type Engine } from '../../src/index';
import { GOLDEN_VARIANTS, goldenBatches } from '../golden/resnet8Inputs';
import { expectGoldenSetup, expectTorchGolden, TORCH_VERSION, VARIANT_GOLDENS } from '../golden/goldenChecks';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

describe.each(Object.entries(GOLDEN_VARIANTS))('%s', (name, c) => {
  test(`${c.steps} SGD steps match PyTorch ${TORCH_VERSION}`, async () => {
    const g = VARIANT_GOLDENS[name];
    expectGoldenSetup(c, g);
    const network = await buildNetwork(engine, c.config, { batchSize: c.batch, seed: c.seed });
    try {
      const initial = await network.getState();
      const losses: number[] = [];
      const correct: number[] = [];
      for (const b of goldenBatches(c)) {
        const r = await network.trainStep(b.images, b.labels, c.hyper);
        losses.push(r.loss);
        correct.push(r.correct);
      }
      const final = await network.getState();
      console.log(`${name} losses: ours ${losses.join(', ')}; PyTorch ${g.losses.join(', ')}`);
      const err = expectTorchGolden({ initial, losses, correct, final }, c, g);
      console.log(
        `${name} vs PyTorch: max rel error loss ${err.loss.toExponential(1)}, ` +
          `weight norms ${err.norms.toExponential(1)}, BN statistics ${err.stats.toExponential(1)}`,
      );
    } finally {
      network.destroy();
    }
  });
});
