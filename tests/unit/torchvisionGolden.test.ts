// The app's ImageNet family against torchvision's own networks (tests/golden/torchvision-logits.json, written by
// scripts/torchvision_golden.py): ResNet-18 and ResNet-50 (v1.5), filled with the same values in state-dict order
// (tests/support/torchvisionFill.ts), eval mode, two 64x64 images. The float64 interpreter of our graph gives
// torchvision's float64 logits: same tensors under the same names, the same stem, max-pool, strides and
// projections. (tests/gpu/torchvisionGolden.test.ts holds the GPU's float32 to the same figures.)
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolveConfig } from '../../src/model/config';
import { buildNetGraph } from '../../src/model/resnet';
import { stateLayout } from '../../src/model/stateLayout';
import { interpret, type Values } from '../../src/graph/interpret';
import { filledImages, filledState } from '../support/torchvisionFill';

const golden = JSON.parse(readFileSync('tests/golden/torchvision-logits.json', 'utf8')) as {
  seed: number;
  imageSize: number;
  images: number;
  models: Record<string, number[]>;
};

test.each([18, 50])(
  'ResNet-%i: our float64 graph gives torchvision’s float64 logits',
  (depth) => {
    const cfg = resolveConfig({ arch: 'residual', depth, family: 'imagenet' });
    const net = buildNetGraph(cfg, golden.images, 'eval', { imageSize: golden.imageSize });
    const state = filledState(stateLayout(cfg), golden.seed);
    const v: Values = new Map();
    for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
    v.set(net.images, Float64Array.from(filledImages(golden.seed, golden.images, golden.imageSize)));
    v.set(net.labels, new Float64Array(golden.images));
    const got = interpret(net.b.graph, v, new Set(['forward'])).get(net.logits)!;
    const want = golden.models[`resnet${depth}`];
    expect(got.length).toBe(want.length);
    const scale = Math.max(...want.map(Math.abs));
    const err = Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
    console.log(`resnet${depth}: max |ours - torchvision| = ${err.toExponential(2)} (logits up to ${scale.toFixed(1)})`);
    expect(scale).toBeGreaterThan(1); // not trivially zero
    expect(err / scale).toBeLessThan(1e-9); // both float64: only the order of sums differs
  },
  120_000,
);
