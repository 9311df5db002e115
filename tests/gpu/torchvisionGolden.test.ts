// The GPU (float32) against torchvision's own ResNet-18 and ResNet-50 (tests/golden/torchvision-logits.json; the
// float64 interpreter matches it to 1e-13, tests/unit/torchvisionGolden.test.ts): the same filled weights, eval mode,
// two 64x64 images, through the executor's kernels (7x7 stride-2 stem, max-pool, v1.5 bottlenecks, projections).
import { expect, test } from 'vitest';
import golden from '../golden/torchvision-logits.json';
import { resolveConfig } from '../../src/model/config';
import { buildNetGraph } from '../../src/model/resnet';
import { stateLayout } from '../../src/model/stateLayout';
import { getGpu } from './harness';
import { GraphRunner } from './graphRunner';
import { filledImages, filledState } from '../support/torchvisionFill';

test.each([18, 50])(
  'ResNet-%i: the GPU gives torchvision’s logits to float32 accuracy',
  async (depth) => {
    const gpu = await getGpu();
    const cfg = resolveConfig({ arch: 'residual', depth, family: 'imagenet' });
    const net = buildNetGraph(cfg, golden.images, 'eval', { imageSize: golden.imageSize });
    const runner = await GraphRunner.create(gpu, net.b.graph);
    try {
      const state = filledState(stateLayout(cfg), golden.seed);
      for (const p of net.stateOrder) runner.set(p.id, state[p.name]);
      runner.set(net.images, filledImages(golden.seed, golden.images, golden.imageSize));
      runner.set(net.labels, new Int32Array(golden.images));
      await runner.run(['forward']);
      const got = await runner.read(net.logits);
      const want = (golden.models as Record<string, number[]>)[`resnet${depth}`];
      const scale = Math.max(...want.map(Math.abs));
      const err = Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
      console.log(`resnet${depth} on the GPU: max |ours - torchvision| = ${err.toExponential(2)} (logits up to ${scale.toFixed(1)})`);
      // Float32 through 18 or 50 layers whose residual stream grows to thousands: a few 1e-6 of the largest logit.
      expect(err / scale).toBeLessThan(1e-4);
    } finally {
      runner.destroy();
    }
  },
  300_000,
);
