// An independent check of the whole training step: PyTorch (scripts/torch_golden.py, float64) trained the same
// ResNet-8 from the same initial state on the same batches (tests/golden/resnet8Inputs.ts); our engine takes the
// same three SGD steps and must land on the same losses, weight norms and BN running statistics. Unlike the
// interpreter checks, this one does not share our graph, autodiff or reference ops. The Node engine answers to the
// same golden (tests/unit/nodeEngine.test.ts) and, more tightly, to the float32 losses this test records
// (tests/golden/resnet8-engine-losses.json): `RECORD_ENGINE_LOSSES=1 npx vitest run --project gpu
// tests/gpu/torchGolden.test.ts` writes them after the PyTorch checks pass; without it, the losses must equal them.
import { beforeAll, test } from 'vitest';
import { commands } from 'vitest/browser';
import { buildNetwork, createEngine, type Engine } from '../../src/index';
import { GOLDEN, goldenBatches } from '../golden/resnet8Inputs';
import {
  ENGINE_LOSSES,
  ENGINE_LOSSES_FILE,
  engineLossesJson,
  expectEngineLosses,
  expectGoldenSetup,
  expectTorchGolden,
  TORCH_VERSION,
} from '../golden/goldenChecks';

const RECORD = (import.meta.env as Record<string, string | undefined>).RECORD_ENGINE_LOSSES === '1';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

test(`ResNet-8: ${GOLDEN.steps} SGD steps match PyTorch ${TORCH_VERSION}`, async () => {
  expectGoldenSetup();
  const { config, seed, batch, hyper } = GOLDEN;
  const network = await buildNetwork(engine, config, { batchSize: batch, seed });
  try {
    const initial = await network.getState();
    const losses: number[] = [];
    const correct: number[] = [];
    for (const b of goldenBatches()) {
      const r = await network.trainStep(b.images, b.labels, hyper);
      losses.push(r.loss);
      correct.push(r.correct);
    }
    const final = await network.getState();
    console.log(`ResNet-8 losses: ours ${losses.join(', ')}`);
    const err = expectTorchGolden({ initial, losses, correct, final });
    console.log(
      `ResNet-8 vs PyTorch: max rel error loss ${err.loss.toExponential(1)}, weight norms ${err.norms.toExponential(1)}, BN statistics ${err.stats.toExponential(1)}`,
    );
    if (RECORD) {
      // Vitest 4 resolves a browser command's path from the project root.
      await commands.writeFile(ENGINE_LOSSES_FILE, engineLossesJson(engine.adapterName, losses));
      console.log(`recorded ${ENGINE_LOSSES_FILE} (${engine.adapterName})`);
    } else {
      const rel = expectEngineLosses(losses, engine.adapterName);
      console.log(
        `ResNet-8 vs the recorded engine losses (${ENGINE_LOSSES.adapter}): max rel difference ${rel?.toExponential(1) ?? 'not compared'}`,
      );
    }
  } finally {
    network.destroy();
  }
});
