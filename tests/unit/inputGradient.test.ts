// Saliency's backward pass (autodiff with wrt 'input', eval-mode BN's input gradient) against central finite
// differences of the float64 forward pass.
import { expect, test } from 'vitest';
import { appendBackward } from '../../src/graph/autodiff';
import { interpret } from '../../src/graph/interpret';
import type { ModelConfig } from '../../src/model/config';
import { Rng } from '../../src/util/rng';
import { cloneValues, tinyNet } from './netFixture';

test.each([
  ['resnet-8 B', { arch: 'residual', depth: 8, width: 2, shortcut: 'B' }],
  ['plain-8', { arch: 'plain', depth: 8, width: 2 }],
] as [string, ModelConfig][])('%s: d loss / d images in eval-mode BN', (_, cfg) => {
  const { net, g, values } = tinyNet(cfg, 2, 3, 'eval');
  const gid = appendBackward(net.b, { wrt: 'input' }).get(net.images)!;
  expect(g.tensors.some((t) => t.role === 'gradient')).toBe(false);
  expect(g.nodes.every((n, i) => n.id === i)).toBe(true);
  const grad = interpret(g, cloneValues(values), new Set(['forward', 'backward'])).get(gid)!;
  const loss = (v: typeof values) => interpret(g, v, new Set(['forward'])).get(net.metrics)![0];
  const rng = new Rng(4);
  let checked = 0;
  for (let k = 0; k < 24; k++) {
    const i = rng.int(grad.length);
    const fd = (h: number) => {
      const plus = cloneValues(values);
      plus.get(net.images)![i] += h;
      const minus = cloneValues(values);
      minus.get(net.images)![i] -= h;
      return (loss(plus) - loss(minus)) / (2 * h);
    };
    const coarse = fd(1e-5);
    const fine = fd(1e-6);
    const tol = 1e-7 + 1e-4 * Math.abs(fine);
    if (Math.abs(coarse - fine) > tol) continue; // a ReLU kink inside [-h, h]
    expect(Math.abs(fine - grad[i]), `pixel ${i}: autodiff ${grad[i]}, finite difference ${fine}`).toBeLessThan(tol);
    checked++;
  }
  expect(checked).toBeGreaterThan(18);
});
