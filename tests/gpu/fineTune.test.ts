// Fine-tuning on the GPU: a 3-class net loads a 10-class net's tensors by name (its head keeps its own fresh
// initialisation), and with head-only training a step changes fc and nothing else: not the backbone's weights, and
// not its BatchNorm statistics (frozen: the step's forward is the eval-mode forward of the loaded state).
import { beforeAll, expect, test } from 'vitest';
import { buildNetwork, createEngine, type Engine } from '../../src/index';
import { loadByName } from '../../src/train/fineTune';
import { Rng } from '../../src/util/rng';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

test('load by name re-initialises the head; head-only SGD updates only fc', async () => {
  const n = 4;
  const src = await buildNetwork(engine, { arch: 'residual', depth: 8, width: 4 }, { batchSize: n, seed: 1 });
  const dst = await buildNetwork(
    engine,
    { arch: 'residual', depth: 8, width: 4, classes: 3 },
    { batchSize: n, seed: 2, trainFrom: 'fc.weight' },
  );
  try {
    const values = await src.getState();
    const fresh = await dst.getState();
    const merged = loadByName(
      dst.stateShapes(),
      Object.fromEntries(src.stateShapes().map((t) => [t.name, { shape: t.shape, data: values[t.name] }])),
    );
    expect(merged.fresh).toEqual(['fc.weight', 'fc.bias']);
    dst.setState(merged.state);
    const loaded = await dst.getState();
    for (const name of merged.loaded) expect(loaded[name], name).toEqual(values[name]);
    expect(loaded['fc.weight']).toEqual(fresh['fc.weight']);
    expect(loaded['fc.weight']).toHaveLength(3 * 16);

    const rng = new Rng(5);
    const images = new Float32Array(n * 3 * 32 * 32).map(() => rng.normal());
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const evalBefore = await dst.forward(images, labels, { bnMode: 'eval' });
    const step = await dst.trainStep(images, labels, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    expect(step.loss).toBe(evalBefore.loss); // the same kernels on the same state: the running statistics, not the batch's
    const after = await dst.getState();
    const stats = dst
      .stateShapes()
      .filter((t) => t.kind !== 'param')
      .map((t) => t.name);
    expect(stats.length).toBeGreaterThan(0);
    for (const name of stats) expect(after[name], `${name} (frozen)`).toEqual(loaded[name]);
    const params = dst
      .stateShapes()
      .filter((t) => t.kind === 'param')
      .map((t) => t.name);
    for (const name of params) {
      if (name.startsWith('fc.')) expect(after[name], name).not.toEqual(loaded[name]);
      else expect(after[name], name).toEqual(loaded[name]);
    }
  } finally {
    src.destroy();
    dst.destroy();
  }
}, 120_000);
