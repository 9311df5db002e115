// Per-layer norms (src/runtime/layerNorms.ts): the L2 norm of every weight tensor and of its gradient, taken on the
// GPU after a backward pass, against the gradients and weights read back and summed in float64.
import { expect, test } from 'vitest';
import { buildNetwork, createEngine } from '../../src/index';
import { ReadbackPool } from '../../src/gpu/readback';
import { LayerNormProbe } from '../../src/runtime/layerNorms';
import { Rng } from '../../src/util/rng';
import { expectClose } from './harness';

const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

test.each([
  ['ResNet-8', { arch: 'residual', depth: 8, width: 4 }, 8],
  ['plain-8', { arch: 'plain', depth: 8, width: 4 }, 8],
  ['ResNet-8 with option-B projections', { arch: 'residual', depth: 8, width: 4, shortcut: 'B' }, 10],
] as const)('%s: one norm per conv/fc weight, input to output, equal to the read-back tensors', async (_name, model, layers) => {
  const engine = await createEngine();
  const net = await buildNetwork(engine, model, { batchSize: 4, seed: 3 });
  const rng = new Rng(9);
  const images = new Float32Array(4 * 3 * 32 * 32).map(() => rng.normal());
  const labels = Int32Array.from({ length: 4 }, () => rng.int(10));
  const { grads } = await net.gradients(images, labels); // leaves this batch's gradients in the arena
  const state = await net.getState();

  const probe = await LayerNormProbe.create(engine.gpu, 'test', net);
  expect(probe.layers).toHaveLength(layers);
  expect(probe.layers[0]).toBe('conv1.weight');
  expect(probe.layers.at(-1)).toBe('fc.weight');
  expect(probe.layers.every((n) => n.endsWith('.weight') && !n.includes('bn'))).toBe(true);
  const enc = engine.gpu.device.createCommandEncoder();
  const read = probe.encode(enc, new ReadbackPool(engine.gpu));
  engine.gpu.device.queue.submit([enc.finish()]);
  const got = await read();
  expectClose(
    got.grad,
    probe.layers.map((n) => norm(grads[n])),
    { atol: 1e-7, rtol: 1e-5 },
  );
  expectClose(
    got.weight,
    probe.layers.map((n) => norm(state[n])),
    { atol: 1e-7, rtol: 1e-5 },
  );
  expect(got.grad.every((g) => g > 0)).toBe(true);
  probe.destroy();
  net.destroy();
  engine.gpu.destroy();
});
