// Activation recomputation on the GPU: a network that recomputes its segments in backward gives exactly the
// gradients of one that keeps every activation (same kernels on the same values), and its training step matches.
import { beforeAll, expect, test } from 'vitest';
import { buildNetwork, createEngine, type Engine, type ModelConfig } from '../../src/index';
import { Rng } from '../../src/util/rng';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const cfgs: [string, ModelConfig, number][] = [
  ['resnet-14 A, every block', { arch: 'residual', depth: 14, width: 4 }, 1],
  ['plain-14, every 2 blocks', { arch: 'plain', depth: 14, width: 4 }, 2],
];

test.each(cfgs)(
  '%s: gradients with recomputation equal gradients without',
  async (_, cfg, k) => {
    const n = 4;
    const rng = new Rng(3);
    const images = new Float32Array(n * 3 * 32 * 32).map(() => rng.normal());
    const labels = Int32Array.from({ length: n }, () => rng.int(10));
    const plain = await buildNetwork(engine, cfg, { batchSize: n, seed: 1 });
    const rc = await buildNetwork(engine, cfg, { batchSize: n, seed: 1, recomputeEvery: k });
    try {
      expect((await rc.target('train', n)).compiled.graph.nodes.filter((x) => x.name.endsWith('.re')).length).toBeGreaterThan(0);
      const a = await plain.gradients(images, labels);
      const b = await rc.gradients(images, labels);
      expect(b.loss).toBe(a.loss);
      expect(Object.keys(b.grads)).toEqual(Object.keys(a.grads));
      for (const name of Object.keys(a.grads)) expect(b.grads[name], name).toEqual(a.grads[name]);
      // A training step (SGD + running statistics) lands on the same state.
      const hyper = { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 };
      await plain.trainStep(images, labels, hyper);
      await rc.trainStep(images, labels, hyper);
      const [sa, sb] = [await plain.getState(), await rc.getState()];
      for (const name of Object.keys(sa)) expect(sb[name], name).toEqual(sa[name]);
    } finally {
      plain.destroy();
      rc.destroy();
    }
  },
  120_000,
);
