// He initialisation checked by its statistics, not against our own initialiser: at width 64 every conv and fc
// weight has mean ~0 and std ~sqrt(2 / fan_in), fan_in worked out here from the weight's shape; biases are
// uniform within +-1/sqrt(fan_in) (PyTorch's default); BN starts at gamma 1, beta 0, running mean 0, variance 1.
import { expect, test } from 'vitest';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { initialState } from '../../src/model/init';
import { buildNetGraph } from '../../src/model/resnet';

function stats(a: Float32Array) {
  let s = 0;
  for (const v of a) s += v;
  const mean = s / a.length;
  let ss = 0;
  let max = 0;
  for (const v of a) {
    ss += (v - mean) ** 2;
    max = Math.max(max, Math.abs(v));
  }
  return { mean, std: Math.sqrt(ss / (a.length - 1)), max };
}

const configs: [string, ModelConfig][] = [
  ['resnet-20 option A', { arch: 'residual', depth: 20, width: 64 }],
  ['bottleneck-29 option B', { arch: 'residual', depth: 29, width: 64, block: 'bottleneck', shortcut: 'B' }],
];

test.each(configs)('%s at width 64: per-layer weight statistics match He et al. (2015b)', (_, cfg) => {
  const net = buildNetGraph(resolveConfig(cfg), 1, 'train');
  const g = net.b.graph;
  const state = initialState(g, net.stateOrder, 5);
  let weights = 0;
  const fcFanIn = g.tensors[net.stateOrder.find((q) => q.name === 'fc.weight')!.id].shape[1];
  for (const p of net.stateOrder) {
    const shape = g.tensors[p.id].shape;
    const a = state[p.name];
    const name = p.name;
    const constant = () => [...new Set(a)];
    if (shape.length === 4 || name === 'fc.weight') {
      const fanIn = shape.slice(1).reduce((x, y) => x * y, 1); // [out, in, kh, kw] or [out, in]
      const want = Math.sqrt(2 / fanIn);
      const { mean, std } = stats(a);
      // The sample std's relative standard error is 1/sqrt(2n); its mean's, 1/sqrt(n) of the std: allow 4 of each.
      expect(Math.abs(std / want - 1), `${name} std ${std} vs ${want}`).toBeLessThan(4 / Math.sqrt(2 * a.length));
      expect(Math.abs(mean) / want, `${name} mean`).toBeLessThan(4 / Math.sqrt(a.length));
      weights++;
    } else if (name === 'fc.bias') {
      // uniform(-b, b), b = 1/sqrt(fan_in): inside the bound, std b/sqrt(3) (10 values: only loosely)
      const b = 1 / Math.sqrt(fcFanIn);
      const { max, std } = stats(a);
      expect(max).toBeLessThanOrEqual(b);
      expect(std).toBeGreaterThan(0.2 * b);
    } else if (name.endsWith('.weight') || name.endsWith('running_var')) {
      expect(constant(), name).toEqual([1]); // BN gamma, running variance
    } else if (name.endsWith('.bias') || name.endsWith('running_mean')) {
      expect(constant(), name).toEqual([0]); // BN beta, running mean
    } else expect.fail(`unclassified state ${name}`);
  }
  expect(weights).toBeGreaterThan(cfg.block === 'bottleneck' ? 9 : 19);
});
