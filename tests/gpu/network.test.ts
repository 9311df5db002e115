// Whole networks on the GPU against the float64 CPU interpreter of the same graph: loss, logits, every
// parameter gradient, BN eval mode and running statistics; then training drives the loss down.
import { beforeAll, describe, expect, test } from 'vitest';
import { buildNetwork, createEngine, type Engine, type ModelConfig } from '../../src/index';
import { Rng } from '../../src/util/rng';
import { TUNINGS } from '../../src/gpu/tuning';
import { batch as seededBatch, expectScalarClose } from './netReference';
import { expectMaxClose } from '../support/close';
import { checkGradients as checkAt, reference } from './netCheck';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const BATCH = 4;
const batch = (seed: number, n = BATCH) => seededBatch(seed, n);

const configs: [string, ModelConfig][] = [
  ['resnet-8 A', { arch: 'residual', depth: 8 }],
  ['resnet-8 B', { arch: 'residual', depth: 8, shortcut: 'B' }],
  ['resnet-8 A no BN', { arch: 'residual', depth: 8, batchNorm: false }],
  ['resnet-8 B no BN', { arch: 'residual', depth: 8, shortcut: 'B', batchNorm: false }],
  ['plain-8', { arch: 'plain', depth: 8 }],
  ['plain-8 no BN', { arch: 'plain', depth: 8, batchNorm: false }],
];

/** Loss, logits and every parameter gradient of `cfg` on `eng` at batch 4, against the float64 reference. */
const checkGradients = async (eng: Engine, cfg: ModelConfig, what = '') => {
  const r = await checkAt(eng, cfg, BATCH);
  console.log(
    `${what}: gradients ${r.grad.toExponential(1)} of the norm (${r.worstGrad}), element floor ${r.floor.toExponential(1)} x rms (${r.tensors} tensors)`,
  );
};

describe.each(configs)('%s, batch 4, against the float64 reference', (name, cfg) => {
  test('loss, logits and every parameter gradient', () => checkGradients(engine, cfg, name));
});

// The adapter's own tuning runs above; the other profile's kernel choices (src/gpu/tuning.ts) here, so
// both compositions are checked whichever adapter runs the tests.
describe.each(configs.filter(([name]) => name === 'resnet-8 A' || name === 'resnet-8 B no BN'))(
  '%s with the other tuning profile',
  (_, cfg) => {
    test('loss, logits and every parameter gradient', () => {
      const other = TUNINGS[engine.gpu.tuning.profile === 'cpu' ? 'gpu' : 'cpu'];
      return checkGradients({ ...engine, gpu: { ...engine.gpu, tuning: other } }, cfg, `other tuning (${other.profile})`);
    });
  },
);

describe('batch norm modes', () => {
  const cfg: ModelConfig = { arch: 'residual', depth: 8 };

  test('train-mode forward updates running statistics like PyTorch; gradients() leaves them alone', async () => {
    const network = await buildNetwork(engine, cfg, { batchSize: BATCH, seed: 4 });
    try {
      const { images, labels } = batch(12);
      const ref = await reference(engine, network, cfg, images, labels, 'train', ['forward', 'running']);
      const before = await network.getState();
      await network.gradients(images, labels);
      const afterGrad = await network.getState();
      for (const k of Object.keys(before)) expect(afterGrad[k], k).toEqual(before[k]);
      await network.forward(images, labels, { bnMode: 'train' });
      const after = await network.getState();
      for (const [name, want] of Object.entries(ref.stats)) expectMaxClose(name, after[name], want, 1e-5);
      expect(after['bn1.running_var']).not.toEqual(before['bn1.running_var']);
    } finally {
      network.destroy();
    }
  });

  test('eval mode uses the given running statistics', async () => {
    const network = await buildNetwork(engine, cfg, { batchSize: BATCH, seed: 5 });
    try {
      const rng = new Rng(99);
      const state = await network.getState();
      for (const [name, a] of Object.entries(state)) {
        if (name.endsWith('running_mean')) a.forEach((_, i) => (a[i] = rng.uniform(-0.5, 0.5)));
        if (name.endsWith('running_var')) a.forEach((_, i) => (a[i] = rng.uniform(0.5, 2)));
      }
      network.setState(state);
      const { images, labels } = batch(13, 3); // a batch size the network was not built for
      const ref = await reference(engine, network, cfg, images, labels, 'eval', ['forward']);
      const got = await network.forward(images, labels, { bnMode: 'eval' });
      expectMaxClose('eval logits', got.logits, ref.logits, 1e-4);
      expectScalarClose('eval loss', got.loss, ref.loss, 1e-4);
    } finally {
      network.destroy();
    }
  });
});

test('30 SGD steps on one fixed batch: ResNet-8 memorises it', async () => {
  const network = await buildNetwork(engine, { arch: 'residual', depth: 8 }, { batchSize: 8, seed: 6 });
  try {
    const { images, labels } = batch(14, 8);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++)
      losses.push((await network.trainStep(images, labels, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 })).loss);
    console.log('ResNet-8 losses on one batch:', losses.map((l) => l.toFixed(3)).join(' '));
    expect(losses[0]).toBeGreaterThan(1.5);
    expect(losses[29]).toBeLessThan(0.1 * losses[0]);
    const final = await network.forward(images, labels, { bnMode: 'train' });
    expect(final.correct).toBe(8);
  } finally {
    network.destroy();
  }
});
