// Small data and transfer: the class-balanced training subset, class subsets relabelled 0..k-1, and a new
// network's state loaded by name from another (the head re-initialised where the class count differs).
import { describe, expect, test } from 'vitest';
import { loadByName } from '../../src/train/fineTune';
import { pickIds, remapLabels } from '../../src/train/subset';
import { stateLayout } from '../../src/model/stateLayout';
import type { StateTensor } from '../../src/runtime/arenas';
import { resolveConfig } from '../../src/model/config';
import { buildNetGraph } from '../../src/model/resnet';
import { appendBackward } from '../../src/graph/autodiff';
import { trainedParams, trainingBnMode } from '../../src/model/freeze';

describe('training subsets', () => {
  const labels = Uint8Array.from({ length: 100 }, (_, i) => (i * 7) % 10);
  const all = Uint32Array.from({ length: 100 }, (_, i) => i);

  test('the same number of images from each class, first ones first, in id order', () => {
    const ids = pickIds(all, labels, { count: 20 });
    expect(ids).toHaveLength(20);
    const per = new Map<number, number>();
    for (const i of ids) per.set(labels[i], (per.get(labels[i]) ?? 0) + 1);
    expect([...per.values()]).toEqual(Array(10).fill(2));
    expect([...ids]).toEqual([...ids].sort((a, b) => a - b));
    // The first two of class 0 (labels[i] = 0 at i = 0, 10, 20, ...).
    expect([...ids].filter((i) => labels[i] === 0)).toEqual([0, 10]);
  });

  test('a count that does not divide evenly gives the remainder to the first classes', () => {
    const ids = pickIds(all, labels, { classes: [3, 5, 8], count: 7 });
    expect([...ids].map((i) => labels[i]).filter((l) => l === 3)).toHaveLength(3);
    expect(ids).toHaveLength(7);
    expect([...ids].every((i) => [3, 5, 8].includes(labels[i]))).toBe(true);
  });

  test('class subsets keep only those classes; all of them without a count', () => {
    const ids = pickIds(all, labels, { classes: [0, 1, 2] });
    expect(ids).toHaveLength(30);
    expect(remapLabels(Uint8Array.from([2, 0, 1, 7]), [2, 0, 1])).toEqual(Int32Array.from([0, 1, 2, 0]));
  });
});

describe('load by name', () => {
  const shapes = (classes: number): StateTensor[] =>
    stateLayout({ arch: 'residual', depth: 8, width: 4, classes }).map((e) => ({
      name: e.name,
      shape: e.shape,
      kind: e.kind === 'param' ? 'param' : 'state',
    }));
  const valuesOf = (ts: StateTensor[], seed: number) =>
    Object.fromEntries(ts.map((t) => [t.name, { shape: t.shape, data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)).fill(seed) }]));

  test('a 3-class net takes every tensor of a 10-class net but the head', () => {
    const m = loadByName(shapes(3), valuesOf(shapes(10), 7));
    expect(m.fresh).toEqual(['fc.weight', 'fc.bias']);
    expect(m.loaded).toHaveLength(shapes(3).length - 2);
    expect(m.loaded).toContain('layer3.0.bn2.running_var');
    expect(m.state['conv1.weight'].every((v) => v === 7)).toBe(true);
    expect(m.state['fc.weight']).toBeUndefined();
  });

  test('same class count: everything loads; a missing tensor stays fresh', () => {
    const src = valuesOf(shapes(10), 1);
    delete src['bn1.running_mean'];
    const m = loadByName(shapes(10), src);
    expect(m.fresh).toEqual(['bn1.running_mean']);
    expect(m.state['fc.weight']).toBe(src['fc.weight'].data);
  });
});

test('head-only fine-tuning: the training graph normalises with the running statistics, updates none, and stops at fc', () => {
  const cfg = resolveConfig({ arch: 'residual', depth: 8, width: 4, classes: 3 });
  const net = buildNetGraph(cfg, 2, trainingBnMode('train', 'fc.weight'));
  const grads = appendBackward(net.b, { params: trainedParams(net, 'fc.weight') });
  const g = net.b.graph;
  expect([...grads.keys()].map((id) => g.tensors[id].name)).toEqual(['fc.weight', 'fc.bias']);
  expect(g.nodes.filter((n) => n.phase === 'running')).toEqual([]); // no running-statistics updates
  expect(
    g.nodes.filter((n) => n.kind === 'batchNorm').every((n) => n.kind === 'batchNorm' && (n.attrs as { mode: string }).mode === 'eval'),
  ).toBe(true);
  // The backward pass is fc's weight and bias gradients only: nothing flows back into the frozen backbone.
  expect(g.nodes.filter((n) => n.phase === 'backward').map((n) => n.kind)).toEqual(['linearGradWeight', 'biasGrad']);
  expect(trainingBnMode('train')).toBe('train');
  expect(() => trainedParams(net, 'layer1.0.conv1.weight')).toThrow(/a BatchNorm after it would be frozen/);
  expect(() => trainedParams(net, 'fc.nothing')).toThrow(/no such parameter/);
});
