// ResNet-1202 (n = 200, the paper's deepest CIFAR net) builds and trains with activation recomputation: a tiny
// width and batch keep it affordable on a CPU adapter; the graph is the full 1202 layers. Recomputation changes
// where activations come from, never what they are: the gradients with two recomputation intervals are the same,
// and the gradient reaches the first layer through 600 blocks.
import { beforeAll, expect, test } from 'vitest';
import { buildNetwork, createEngine, type Engine } from '../../src/index';
import { planTraining, sqrtEvery } from '../../src/runtime/memoryPlan';
import { Rng } from '../../src/util/rng';
import { expectTensorClose } from '../support/close';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

test('ResNet-1202 builds with recomputation and its training steps lower the loss on a fixed batch', async () => {
  const cfg = { arch: 'residual' as const, depth: 1202, width: 2 };
  const n = 2;
  const k = sqrtEvery(cfg);
  expect(k).toBe(24);
  const t0 = performance.now();
  const net = await buildNetwork(engine, cfg, { batchSize: n, seed: 0, recomputeEvery: k });
  try {
    const built = performance.now() - t0;
    const rng = new Rng(1);
    const images = new Float32Array(n * 3 * 32 * 32).map(() => rng.normal());
    const labels = Int32Array.from({ length: n }, () => rng.int(10));
    const hyper = { lr: 0.01, momentum: 0.9, weightDecay: 0 };
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) losses.push((await net.trainStep(images, labels, hyper)).loss);
    console.log(
      `ResNet-1202 w2 b${n}, checkpoint every ${k} blocks: built in ${(built / 1000).toFixed(1)} s, losses ${losses.map((l) => l.toFixed(4)).join(' ')}, memory ${JSON.stringify(net.memory())}`,
    );
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[3]).toBeLessThan(losses[0]);
    // What was built is what the planner promised (the Memory meter shows planTraining's figures before a run).
    const planned = planTraining(cfg, n, k, engine.gpu);
    const without = planTraining(cfg, n, 0, engine.gpu);
    expect(net.memory().activationBytes).toBe(planned.activationBytes);
    expect(planned.activationBytes).toBeLessThan(without.activationBytes / 8);
  } finally {
    net.destroy();
  }
}, 300_000);

test('ResNet-1202: every gradient is the same with recomputation every 24 and every 7 blocks, and conv1 gets a nonzero one', async () => {
  const cfg = { arch: 'residual' as const, depth: 1202, width: 2 };
  const n = 2;
  const rng = new Rng(5);
  const images = new Float32Array(n * 3 * 32 * 32).map(() => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(10));
  const gradsWith = async (every: number) => {
    const net = await buildNetwork(engine, cfg, { batchSize: n, seed: 3, recomputeEvery: every });
    try {
      return await net.gradients(images, labels);
    } finally {
      net.destroy();
    }
  };
  const a = await gradsWith(24);
  const b = await gradsWith(7);
  expect(b.loss).toBe(a.loss);
  expect(Object.keys(b.grads).sort()).toEqual(Object.keys(a.grads).sort());
  let worst = 0;
  for (const name of Object.keys(a.grads))
    worst = Math.max(
      worst,
      expectTensorClose(`d ${name}`, b.grads[name], a.grads[name], { normRel: 1e-6, rtol: 1e-6, floor: 1e-6 }).normRel,
    );
  const g = a.grads['conv1.weight'];
  const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
  console.log(
    `ResNet-1202 gradients, recompute every 24 vs 7 blocks: worst relative norm difference ${worst.toExponential(1)}; |d conv1| ${norm.toExponential(3)}`,
  );
  expect(Number.isFinite(norm)).toBe(true);
  expect(norm).toBeGreaterThan(0);
}, 600_000);
