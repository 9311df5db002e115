// Shape rules reject bad wiring at build time with a message naming the node.
import { describe, expect, test } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder';
import { ShapeError } from '../../src/graph/shapes';
import { buildNetGraph } from '../../src/model/resnet';
import { resolveConfig, ConfigError } from '../../src/model/config';
import { stateLayout } from '../../src/model/stateLayout';

describe('shape rules', () => {
  test('conv2d output sizes', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [2, 3, 32, 32], 'input');
    const w = b.tensor('w', [16, 3, 3, 3], 'param');
    expect(b.shape(b.op('conv2d', 'c1', [x, w], { stride: 1, pad: 1 })[0])).toEqual([2, 16, 32, 32]);
    expect(b.shape(b.op('conv2d', 'c2', [x, w], { stride: 2, pad: 1 })[0])).toEqual([2, 16, 16, 16]);
    const w1 = b.tensor('w1', [8, 3, 1, 1], 'param');
    expect(b.shape(b.op('conv2d', 'c3', [x, w1], { stride: 2, pad: 0 })[0])).toEqual([2, 8, 16, 16]);
  });

  test('mismatches name the node', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [2, 4, 8, 8], 'input');
    const w = b.tensor('w', [16, 3, 3, 3], 'param');
    expect(() => b.op('conv2d', 'layer9.conv', [x, w], { stride: 1, pad: 1 })).toThrow(/layer9\.conv: .*4 channels/);
    const y = b.tensor('y', [2, 4, 4, 4], 'input');
    expect(() => b.op('add', 'sum', [x, y], { relu: false })).toThrow(ShapeError);
    expect(() => b.tensor('x', [1], 'input')).toThrow(/used twice/);
  });

  test('ResNet-20 shapes: 32x32x16 -> 16x16x32 -> 8x8x64 -> 10 logits', () => {
    const net = buildNetGraph(resolveConfig({ arch: 'residual', depth: 20 }), 4, 'train');
    const t = (name: string) => net.b.graph.tensors.find((x) => x.name === name)!.shape;
    expect(t('layer1.2.add')).toEqual([4, 16, 32, 32]);
    expect(t('layer2.0.shortcut')).toEqual([4, 32, 16, 16]);
    expect(t('layer3.2.add')).toEqual([4, 64, 8, 8]);
    expect(net.b.shape(net.logits)).toEqual([4, 10]);
    expect(net.params.length).toBe(1 + 2 + 9 * 2 * 3 + 2);
  });

  test('bad configs are refused with advice', () => {
    expect(() => resolveConfig({ arch: 'residual', depth: 21 })).toThrow(ConfigError);
    expect(() => resolveConfig({ arch: 'residual', depth: 21 })).toThrow(/6n\+2/);
    expect(() => resolveConfig({ arch: 'residual', depth: 20, width: 0 })).toThrow(ConfigError);
  });
});

describe('the graph builder and the state layout agree', () => {
  test.each([
    { arch: 'residual', depth: 20 },
    { arch: 'residual', depth: 8, shortcut: 'B' },
    { arch: 'plain', depth: 14, batchNorm: false },
    { arch: 'residual', depth: 11, block: 'bottleneck', shortcut: 'B' },
    { arch: 'residual', depth: 20, block: 'bottleneck' },
  ] as const)('%o', (cfg) => {
    const net = buildNetGraph(resolveConfig(cfg), 2, 'train');
    const fromGraph = net.stateOrder.map((p) => `${p.name} [${net.b.graph.tensors[p.id].shape}]`);
    const fromLayout = stateLayout(cfg).map((e) => `${e.name} [${e.shape}]`);
    expect(fromGraph).toEqual(fromLayout);
  });
});
