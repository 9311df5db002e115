// The kernel profile's grouping (src/ui/lib/profileGroups.ts): by op kind and by layer.
import { expect, test } from 'vitest';
import { groupTimes, layerOf } from '../../src/ui/lib/profileGroups';

const kernels = [
  { label: 'conv2d conv1', ms: 1 },
  { label: 'batchNorm bn1', ms: 0.5 },
  { label: 'conv2d layer1.0.conv1', ms: 2 },
  { label: 'conv2dGradInput layer1.0.conv1.dx', ms: 3 },
  { label: 'add layer1.0.add', ms: 0.5 },
  { label: 'linear fc', ms: 1 },
  { label: 'softmaxXent loss', ms: 2 },
];

test('layerOf: blocks, the stem, and heads by name', () => {
  expect(layerOf('layer3.11.conv2.dw')).toBe('layer3.11');
  expect(layerOf('bn1.dx')).toBe('stem');
  expect(layerOf('fc')).toBe('fc');
});

test('groupTimes sums by kind and by layer, largest first, with shares of the whole', () => {
  const kinds = groupTimes(kernels, 'kind');
  expect(kinds.map((g) => [g.name, g.ms, g.kernels])).toEqual([
    ['conv2d', 3, 2],
    ['conv2dGradInput', 3, 1],
    ['softmaxXent', 2, 1],
    ['linear', 1, 1],
    ['batchNorm', 0.5, 1],
    ['add', 0.5, 1],
  ]);
  expect(kinds.reduce((s, g) => s + g.share, 0)).toBeCloseTo(1, 12);
  const layers = groupTimes(kernels, 'layer');
  expect(layers.map((g) => [g.name, g.ms])).toEqual([
    ['layer1.0', 5.5],
    ['loss', 2],
    ['stem', 1.5],
    ['fc', 1],
  ]);
  expect(layers[0].share).toBeCloseTo(5.5 / 10, 12);
  expect(groupTimes([], 'kind')).toEqual([]);
});

test('groupTimes sums the modelled FLOPs and bytes, and without times ranks and shares by FLOPs', () => {
  const untimed = [
    { label: 'conv2d conv1', ms: 0, flops: 100, bytesRead: 40, bytesWritten: 8 },
    { label: 'conv2d layer1.0.conv1', ms: 0, flops: 300, bytesRead: 16, bytesWritten: 4 },
    { label: 'batchNorm bn1', ms: 0, flops: 20, bytesRead: 12, bytesWritten: 12 },
  ];
  const kinds = groupTimes(untimed, 'kind');
  expect(kinds.map((g) => [g.name, g.flops, g.bytes, g.kernels])).toEqual([
    ['conv2d', 400, 68, 2],
    ['batchNorm', 20, 24, 1],
  ]);
  expect(kinds[0].share).toBeCloseTo(400 / 420, 12);
  const layers = groupTimes(untimed, 'layer');
  expect(layers.map((g) => [g.name, g.flops, g.bytes])).toEqual([
    ['layer1.0', 300, 20],
    ['stem', 120, 72],
  ]);
});
