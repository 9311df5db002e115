// Shared by unit tests: a tiny network's graph with seeded values for every input, parameter and statistic.
import { buildNetGraph } from '../../src/model/resnet';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { initialState } from '../../src/model/init';
import { appendBackward } from '../../src/graph/autodiff';
import type { Values } from '../../src/graph/interpret';
import { Rng } from '../../src/util/rng';

export function tinyNet(cfg: ModelConfig, batch: number, seed = 1, bnMode: 'train' | 'eval' = 'train') {
  const net = buildNetGraph(resolveConfig(cfg), batch, bnMode);
  const gradOf = bnMode === 'train' ? appendBackward(net.b) : new Map<number, number>();
  const g = net.b.graph;
  const state = initialState(g, net.stateOrder, seed);
  const rng = new Rng(seed + 100);
  const values: Values = new Map();
  for (const p of net.stateOrder) values.set(p.id, Float64Array.from(state[p.name]));
  // Non-trivial statistics and BN affine parameters, so eval mode and gamma/beta gradients are exercised.
  for (const p of net.stateOrder) {
    const a = values.get(p.id)!;
    if (p.name.endsWith('running_mean')) a.forEach((_, i) => (a[i] = Math.fround(rng.uniform(-0.5, 0.5))));
    if (p.name.endsWith('running_var')) a.forEach((_, i) => (a[i] = Math.fround(rng.uniform(0.5, 2))));
    if (/bn\d\.(weight|bias)$|shortcut\.1\.(weight|bias)$/.test(p.name))
      a.forEach((v, i) => (a[i] = Math.fround(v + rng.uniform(-0.3, 0.3))));
  }
  const images = new Float64Array(batch * 3 * 32 * 32).map(() => Math.fround(rng.normal()));
  const labels = new Float64Array(batch).map(() => rng.int(resolveConfig(cfg).classes));
  values.set(net.images, images);
  values.set(net.labels, labels);
  return { net, g, gradOf, values, images, labels };
}

export const cloneValues = (v: Values): Values => new Map([...v].map(([k, a]) => [k, a.slice()]));
