// The story's worked example: a 256-channel block costs 1,179,648 weights as two 3x3 layers and 69,632 as a
// 1x1-3x3-1x1 bottleneck, counted by the same code the UI shows live.
import { describe, expect, it } from 'vitest';
import { blockWeights, countParams, RESNET164 } from '../../src/model/counts';
import { convSpecs } from '../../src/model/stateLayout';
import { resolveConfig } from '../../src/model/config';

describe('bottleneck arithmetic', () => {
  it('two 3x3x256x256 layers hold 1,179,648 weights', () => {
    const b = blockWeights({ channels: 256, block: 'basic' });
    expect(b.layers.map((l) => [l.kernel, l.cin, l.cout])).toEqual([
      [3, 256, 256],
      [3, 256, 256],
    ]);
    expect(b.total).toBe(1_179_648);
  });

  it('1x1x256x64 + 3x3x64x64 + 1x1x64x256 hold 69,632 weights', () => {
    const b = blockWeights({ channels: 256, block: 'bottleneck' });
    expect(b.layers.map((l) => l.weights)).toEqual([16_384, 36_864, 16_384]);
    expect(b.total).toBe(69_632);
    expect(blockWeights({ channels: 256, block: 'bottleneck', inner: 64 }).total).toBe(69_632);
  });

  it('agrees with the network walk: a stage-3 bottleneck block of ResNet-164 has the same conv shapes', () => {
    const convs = convSpecs(resolveConfig(RESNET164)).filter((c) => c.name.startsWith('layer3.1.'));
    const mine = blockWeights({ channels: 256, block: 'bottleneck' }).layers;
    expect(convs.map((c) => [c.kernel, c.inChannels, c.outChannels])).toEqual(mine.map((l) => [l.kernel, l.cin, l.cout]));
  });

  it('bottleneck ResNet-164 (n=18) has 1.7M trainable parameters', () => {
    const p = countParams(RESNET164).trainable;
    console.log(`ResNet-164 (bottleneck, option B): ${p.toLocaleString('en-US')} trainable parameters`);
    expect(p).toBeGreaterThan(1.65e6);
    expect(p).toBeLessThan(1.75e6);
  });
});
