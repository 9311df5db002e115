// Autodiff + the reference backward ops, checked by central finite differences of the float64 forward pass.
import { describe, expect, test } from 'vitest';
import { interpret, type Values } from '../../src/graph/interpret';
import type { ModelConfig } from '../../src/model/config';
import { Rng } from '../../src/util/rng';
import { cloneValues, tinyNet } from './netFixture';
import { checkGradient } from '../support/close';

const FWD = new Set(['forward'] as const);
const ALL = new Set(['forward', 'backward'] as const);

function lossAt(g: Parameters<typeof interpret>[0], v: Values, metrics: number): number {
  return interpret(g, cloneValues(v), FWD).get(metrics)![0];
}

const configs: [string, ModelConfig][] = [
  ['resnet-8 A', { arch: 'residual', depth: 8, width: 2 }],
  ['resnet-8 B', { arch: 'residual', depth: 8, width: 2, shortcut: 'B' }],
  ['resnet-8 A no BN', { arch: 'residual', depth: 8, width: 2, batchNorm: false }],
  ['plain-8', { arch: 'plain', depth: 8, width: 2 }],
  ['plain-8 no BN', { arch: 'plain', depth: 8, width: 2, batchNorm: false }],
  ['bottleneck resnet-11 B', { arch: 'residual', depth: 11, width: 2, block: 'bottleneck', shortcut: 'B' }],
];

describe('autodiff against finite differences (float64 reference)', () => {
  test.each(configs)(
    '%s: every parameter gradient',
    (_, cfg) => {
      const { net, g, gradOf, values } = tinyNet(cfg, 3, 5);
      const res = interpret(g, cloneValues(values), ALL);
      const rng = new Rng(9);
      let checked = 0;
      let kinks = 0;
      for (const p of net.params) {
        const grad = res.get(gradOf.get(p.id)!)!;
        const base = values.get(p.id)!;
        // A few coordinates of every parameter tensor (all of the small ones).
        const picks = base.length <= 6 ? [...base.keys()] : [0, base.length - 1, rng.int(base.length), rng.int(base.length)];
        for (const i of picks) {
          const fd = (h: number) => {
            const plus = cloneValues(values);
            plus.get(p.id)![i] += h;
            const minus = cloneValues(values);
            minus.get(p.id)![i] -= h;
            return (lossAt(g, plus, net.metrics) - lossAt(g, minus, net.metrics)) / (2 * h);
          };
          const coarse = fd(1e-5);
          const fine = fd(1e-6);
          // A ReLU that changes sign inside [-h, h] makes the difference quotient depend on h: such a
          // coordinate says nothing about the gradient, so it is counted and skipped (and must be rare).
          if (checkGradient(`${p.name}[${i}] (autodiff)`, grad[i], coarse, fine, 1e-6 + 1e-4 * Math.abs(fine)) === 'kink') kinks++;
          else checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
      expect(kinks).toBeLessThan(checked / 10);
    },
    120_000,
  );

  test('images get no gradient; every parameter gets exactly one', () => {
    const { g, gradOf, net } = tinyNet({ arch: 'residual', depth: 8, width: 2 }, 2);
    expect(gradOf.size).toBe(net.params.length);
    const names = g.tensors.filter((t) => t.role === 'gradient').map((t) => t.name);
    expect(names).toHaveLength(net.params.length);
    expect(g.tensors.some((t) => t.name === 'images.grad')).toBe(false);
    expect(g.nodes.filter((n) => n.kind === 'conv2dGradInput').every((n) => g.tensors[n.outputs[0]].name !== 'images.grad')).toBe(true);
  });
});
