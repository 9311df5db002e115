// Every backward rule, on the GPU, against central finite differences of the GPU forward pass (float32).
// Each op sits in a tiny graph: x -> op -> a full-size "dense" conv (kernel = the whole feature map, so every
// element reaches the loss through its own weight) -> avgPool (1x1) -> linear -> softmax cross-entropy.
import { beforeAll, describe, expect, test } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder';
import { appendBackward } from '../../src/graph/autodiff';
import type { Gpu } from '../../src/gpu/gpu';
import { numel } from '../../src/graph/ir';
import { Rng } from '../../src/util/rng';
import { getGpu } from './harness';
import { GraphRunner } from './graphRunner';
import { checkGradient } from '../support/close';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getGpu();
});

/** The op under test maps x (a parameter, so it gets a gradient) and its own parameters to one NCHW tensor. */
type OpCase = (b: GraphBuilder, x: number) => number;

function head(b: GraphBuilder, y: number, n: number) {
  const [, c, h, w] = b.shape(y);
  const dense = b.tensor('dense.weight', [5, c, h, w], 'param');
  const z = b.op('conv2d', 'dense', [y, dense], { stride: 1, pad: 0 })[0];
  const p = b.op('avgPool', 'pool', [z], {})[0];
  const fw = b.tensor('fc.weight', [4, 5], 'param');
  const fb = b.tensor('fc.bias', [4], 'param');
  const logits = b.op('linear', 'fc', [p, fw, fb], {})[0];
  const labels = b.tensor('labels', [n], 'labels', 'i32');
  const [metrics] = b.op(
    'softmaxXent',
    'loss',
    [logits, labels],
    {},
    { outNames: ['metrics', 'dlogits'], roles: ['metrics', 'activation'] },
  );
  return { labels, metrics };
}

const cases: [string, number[], OpCase][] = [
  [
    'conv2d 3x3 stride 1 pad 1 + bias',
    [2, 3, 5, 4],
    (b, x) => b.op('conv2d', 'op', [x, b.tensor('w', [4, 3, 3, 3], 'param'), b.tensor('cb', [4], 'param')], { stride: 1, pad: 1 })[0],
  ],
  [
    'conv2d 3x3 stride 2 pad 1',
    [2, 2, 6, 5],
    (b, x) => b.op('conv2d', 'op', [x, b.tensor('w', [3, 2, 3, 3], 'param')], { stride: 2, pad: 1 })[0],
  ],
  [
    'conv2d 1x1 stride 2 (projection)',
    [1, 3, 4, 4],
    (b, x) => b.op('conv2d', 'op', [x, b.tensor('w', [5, 3, 1, 1], 'param')], { stride: 2, pad: 0 })[0],
  ],
  [
    'batchNorm (train)',
    [3, 2, 3, 3],
    (b, x) =>
      b.op(
        'batchNorm',
        'op',
        [x, b.tensor('g', [2], 'param'), b.tensor('be', [2], 'param')],
        { mode: 'train', relu: false },
        { outNames: ['y', 'm', 'v'] },
      )[0],
  ],
  [
    'batchNorm + ReLU (train)',
    [3, 2, 3, 3],
    (b, x) =>
      b.op(
        'batchNorm',
        'op',
        [x, b.tensor('g', [2], 'param'), b.tensor('be', [2], 'param')],
        { mode: 'train', relu: true },
        { outNames: ['y', 'm', 'v'] },
      )[0],
  ],
  ['relu', [2, 2, 3, 3], (b, x) => b.op('relu', 'op', [x], {})[0]],
  // A residual block in miniature: u feeds both the branch and the identity, so its gradient is a sum.
  [
    'add + ReLU (u + conv(u))',
    [2, 2, 3, 3],
    (b, x) => {
      const u = b.op('conv2d', 'u', [x, b.tensor('w0', [2, 2, 1, 1], 'param')], { stride: 1, pad: 0 })[0];
      return b.op('add', 'op', [u, b.op('conv2d', 'c', [u, b.tensor('w', [2, 2, 3, 3], 'param')], { stride: 1, pad: 1 })[0]], {
        relu: true,
      })[0];
    },
  ],
  [
    'add (u + u)',
    [2, 2, 3, 3],
    (b, x) => {
      const u = b.op('conv2d', 'u', [x, b.tensor('w0', [2, 2, 1, 1], 'param')], { stride: 1, pad: 0 })[0];
      return b.op('add', 'op', [u, u], { relu: false })[0];
    },
  ],
  // The ImageNet stem's pool (windows overlap: an element winning two windows gets both gradients).
  ['maxPool 3x3 stride 2 pad 1', [2, 2, 5, 6], (b, x) => b.op('maxPool', 'op', [x], { k: 3, stride: 2, pad: 1 })[0]],
  ['option-A shortcut 2 -> 4 channels, stride 2', [2, 2, 4, 4], (b, x) => b.op('shortcutA', 'op', [x], { stride: 2, cout: 4 })[0]],
  [
    'avgPool then dense',
    [2, 3, 4, 4],
    (b, x) => {
      // Global average pooling of x feeds the head through a 1x1 "image".
      const p = b.op('avgPool', 'op', [x], {})[0];
      const w = b.tensor('lw', [6, 3], 'param');
      const l = b.op('linear', 'lin', [p, w, b.tensor('lb', [6], 'param')], {})[0];
      return b.op('relu', 'r', [l], {})[0] && l;
    },
  ],
];

describe('backward rules vs finite differences (GPU, float32)', () => {
  test.each(cases)('%s', async (_, xShape, op) => {
    const b = new GraphBuilder();
    const x = b.tensor('x', xShape, 'param');
    const y = op(b, x);
    if (b.shape(y).length === 2) {
      // [N, C] results (linear): view as [N, C, 1, 1] through a 1x1 conv-free path: feed linear -> head directly.
      const [n, c] = b.shape(y);
      const fw = b.tensor('fc2.weight', [4, c], 'param');
      const logits = b.op('linear', 'fc2', [y, fw, b.tensor('fc2.bias', [4], 'param')], {})[0];
      const labels = b.tensor('labels', [n], 'labels', 'i32');
      b.op('softmaxXent', 'loss', [logits, labels], {}, { outNames: ['metrics', 'dlogits'], roles: ['metrics', 'activation'] });
    } else head(b, y, xShape[0]);
    const gradOf = appendBackward(b);
    const g = b.graph;
    const metrics = g.tensors.find((t) => t.role === 'metrics')!.id;
    const labels = g.tensors.find((t) => t.role === 'labels')!.id;
    const runner = await GraphRunner.create(gpu, g);
    try {
      const rng = new Rng(xShape.reduce((a, v) => a * 31 + v, 7));
      const params = g.tensors.filter((t) => t.role === 'param');
      const values = new Map(
        params.map((t) => [
          t.id,
          Float32Array.from({ length: numel(t.shape) }, () => rng.normal() * (t.name === 'g' ? 0.3 : 1) + (t.name === 'g' ? 1 : 0)),
        ]),
      );
      for (const [id, v] of values) runner.set(id, v);
      runner.set(
        labels,
        Array.from({ length: xShape[0] }, (_, i) => (i * 3 + 1) % 4),
      );
      await runner.run(['forward', 'backward']);
      const grads = new Map<number, Float32Array>();
      for (const t of params) grads.set(t.id, await runner.read(gradOf.get(t.id)!));
      const loss = async (id: number, i: number, d: number) => {
        const v = values.get(id)!.slice();
        v[i] += d;
        runner.set(id, v);
        await runner.run(['forward']);
        runner.set(id, values.get(id)!);
        return (await runner.read(metrics))[0];
      };
      let checked = 0;
      let kinks = 0;
      for (const t of params) {
        const n = numel(t.shape);
        const picks = n <= 8 ? [...Array(n).keys()] : [0, n - 1, rng.int(n), rng.int(n), rng.int(n), rng.int(n)];
        for (const i of picks) {
          const fd = async (h: number) => ((await loss(t.id, i, h)) - (await loss(t.id, i, -h))) / (2 * h);
          const coarse = await fd(4e-3);
          const fine = await fd(2e-3);
          const got = grads.get(t.id)![i];
          // 'kink': a ReLU changed sign within the step, so this coordinate says nothing.
          if (checkGradient(`${t.name}[${i}] (backward)`, got, coarse, fine, 4e-4 + 1e-2 * Math.abs(fine)) === 'kink') kinks++;
          else checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(10);
      expect(kinks).toBeLessThanOrEqual(Math.max(1, checked / 5));
    } finally {
      runner.destroy();
    }
  });
});
