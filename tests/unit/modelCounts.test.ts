import { describe, expect, it } from 'vitest';
import { ConfigError, type ModelConfig } from '../../src/model/config';
import { countFlops, countParams, formatCount } from '../../src/model/counts';
import { convSpecs, stateLayout } from '../../src/model/stateLayout';

const res = (depth: number, extra: Partial<ModelConfig> = {}): ModelConfig => ({ arch: 'residual', depth, ...extra });

describe('stateLayout', () => {
  it('lists ResNet-8 (option A) in PyTorch state_dict order', () => {
    const names = stateLayout(res(8)).map((e) => e.name);
    const bn = (m: string) => ['weight', 'bias', 'running_mean', 'running_var'].map((k) => `${m}.${k}`);
    const block = (p: string) => [`${p}.conv1.weight`, ...bn(`${p}.bn1`), `${p}.conv2.weight`, ...bn(`${p}.bn2`)];
    expect(names).toEqual([
      'conv1.weight',
      ...bn('bn1'),
      ...block('layer1.0'),
      ...block('layer2.0'),
      ...block('layer3.0'),
      'fc.weight',
      'fc.bias',
    ]);
  });

  it('gives OIHW shapes, buffer kinds and the classifier shape', () => {
    const l = new Map(stateLayout(res(20, { classes: 100 })).map((e) => [e.name, e]));
    expect(l.get('conv1.weight')).toEqual({ name: 'conv1.weight', shape: [16, 3, 3, 3], kind: 'param' });
    expect(l.get('layer2.0.conv1.weight')!.shape).toEqual([32, 16, 3, 3]);
    expect(l.get('layer3.2.conv2.weight')!.shape).toEqual([64, 64, 3, 3]);
    expect(l.get('layer3.2.bn2.running_var')).toEqual({ name: 'layer3.2.bn2.running_var', shape: [64], kind: 'buffer' });
    expect(l.get('layer1.0.bn1.weight')!.kind).toBe('param');
    expect(l.get('fc.weight')!.shape).toEqual([100, 64]);
    expect(l.get('fc.bias')!.shape).toEqual([100]);
    expect([...l.keys()].some((n) => n.includes('num_batches_tracked') || n.includes('shortcut'))).toBe(false);
  });

  it('adds option-B projections only where the block changes shape, and never in plain nets', () => {
    const b = stateLayout(res(20, { shortcut: 'B' }));
    const sc = b.filter((e) => e.name.includes('shortcut'));
    expect(sc.map((e) => e.name)).toEqual([
      'layer2.0.shortcut.0.weight',
      ...['weight', 'bias', 'running_mean', 'running_var'].map((k) => `layer2.0.shortcut.1.${k}`),
      'layer3.0.shortcut.0.weight',
      ...['weight', 'bias', 'running_mean', 'running_var'].map((k) => `layer3.0.shortcut.1.${k}`),
    ]);
    expect(sc[0].shape).toEqual([32, 16, 1, 1]);
    expect(sc[5].shape).toEqual([64, 32, 1, 1]);
    // The projection follows the block's last BN (module registration order).
    const names = b.map((e) => e.name);
    expect(names.indexOf('layer2.0.shortcut.0.weight')).toBe(names.indexOf('layer2.0.bn2.running_var') + 1);
    expect(stateLayout({ arch: 'plain', depth: 20, shortcut: 'B' })).toEqual(stateLayout(res(20)));
  });

  it('without BN gives every conv a bias right after its weight and no BN state', () => {
    const names = stateLayout(res(8, { batchNorm: false, shortcut: 'B' })).map((e) => e.name);
    expect(names.some((n) => /bn|running|shortcut\.1/.test(n))).toBe(false);
    expect(names.slice(0, 6)).toEqual([
      'conv1.weight',
      'conv1.bias',
      'layer1.0.conv1.weight',
      'layer1.0.conv1.bias',
      'layer1.0.conv2.weight',
      'layer1.0.conv2.bias',
    ]);
    expect(names).toContain('layer2.0.shortcut.0.bias');
  });

  it('builds bottleneck blocks with expansion 4 and a projection on every shape change', () => {
    const l = stateLayout(res(11, { block: 'bottleneck', shortcut: 'B' }));
    const shape = (n: string) => l.find((e) => e.name === n)?.shape;
    expect(shape('conv1.weight')).toEqual([16, 3, 3, 3]);
    expect(shape('layer1.0.conv1.weight')).toEqual([16, 16, 1, 1]);
    expect(shape('layer1.0.conv2.weight')).toEqual([16, 16, 3, 3]);
    expect(shape('layer1.0.conv3.weight')).toEqual([64, 16, 1, 1]);
    expect(shape('layer1.0.bn3.weight')).toEqual([64]);
    expect(shape('layer1.0.shortcut.0.weight')).toEqual([64, 16, 1, 1]); // channel change at stride 1
    expect(shape('layer2.0.conv1.weight')).toEqual([32, 64, 1, 1]);
    expect(shape('layer2.0.shortcut.0.weight')).toEqual([128, 64, 1, 1]);
    expect(shape('layer3.0.shortcut.0.weight')).toEqual([256, 128, 1, 1]);
    expect(shape('fc.weight')).toEqual([10, 256]);
    // The stride sits on the 3x3 conv.
    expect(
      convSpecs(res(11, { block: 'bottleneck' }))
        .filter((c) => c.stride === 2)
        .map((c) => c.name),
    ).toEqual(['layer2.0.conv2', 'layer3.0.conv2']);
    expect(l.map((e) => e.name).filter((n) => n.endsWith('conv3.weight'))).toHaveLength(3);
  });

  it('rejects bad depths with ConfigError', () => {
    expect(() => stateLayout(res(21))).toThrow(ConfigError);
    expect(() => stateLayout(res(20, { block: 'bottleneck' }))).not.toThrow(); // 9*2+2
    expect(() => stateLayout(res(29, { block: 'bottleneck' }))).not.toThrow();
    expect(() => stateLayout(res(32, { block: 'bottleneck' }))).toThrow(ConfigError);
    expect(() => countParams(res(7))).toThrow(ConfigError);
  });
});

describe('countParams', () => {
  // Paper Table 6: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M.
  const table6: [number, number, string][] = [
    [20, 269_722, '0.27M'],
    [32, 464_154, '0.46M'],
    [44, 658_586, '0.66M'],
    [56, 853_018, '0.85M'],
    [110, 1_727_962, '1.7M'],
  ];
  it.each(table6)('ResNet-%i option A has %i trainable parameters (%s)', (depth, exact, shown) => {
    const c = countParams(res(depth));
    expect(c.trainable).toBe(exact);
    expect(formatCount(c.trainable)).toBe(shown);
    // Plain net of the same depth: identical parameters.
    expect(countParams({ arch: 'plain', depth })).toEqual(c);
  });

  it('derives ResNet-20 by hand', () => {
    // stem 3*16*9 + BN 32; stage 1: 6 convs 16*16*9 + 6 BN(16); stage 2: 16*32*9 + 5*32*32*9 + 6 BN(32);
    // stage 3: 32*64*9 + 5*64*64*9 + 6 BN(64); fc 64*10 + 10.
    const bnAll = 2 * (16 + 6 * 16 + 6 * 32 + 6 * 64);
    const convs = 432 + 6 * 2304 + (4608 + 5 * 9216) + (18432 + 5 * 36864);
    expect(convs + bnAll + 650).toBe(269_722);
    expect(countParams(res(20)).buffers).toBe(bnAll); // running mean + var = same count as gamma + beta
    expect(countParams(res(20)).buffers).toBe(1_376);
  });

  it('option B adds the two projections (conv + BN)', () => {
    const a = countParams(res(20));
    const b = countParams(res(20, { shortcut: 'B' }));
    expect(b.trainable - a.trainable).toBe(16 * 32 + 2 * 32 + 32 * 64 + 2 * 64); // 2,752
    expect(b.trainable).toBe(272_474);
    expect(b.buffers - a.buffers).toBe(2 * 32 + 2 * 64);
  });

  it('BN off adds a bias per conv and removes gamma/beta and buffers', () => {
    const on = countParams(res(20));
    const off = countParams(res(20, { batchNorm: false }));
    // Each conv's bias has as many entries as its BN's gamma: +C for the bias, -2C for gamma/beta.
    expect(off.trainable).toBe(on.trainable - on.buffers / 2);
    expect(off.trainable).toBe(269_034);
    expect(off.buffers).toBe(0);
  });

  it('counts bottleneck nets', () => {
    // depth 164 (n=18) is the paper's pre-activation bottleneck ResNet (~1.7M parameters).
    expect(formatCount(countParams(res(164, { block: 'bottleneck', shortcut: 'B' })).trainable)).toBe('1.7M');
  });
});

describe('countFlops', () => {
  it('ResNet-20 is 40,551,040 MACs (~41M)', () => {
    // stem 1024*432; stage 1: 6 * 1024*2304; stage 2: 256*(4608 + 5*9216); stage 3: 64*(18432 + 5*36864); fc 640.
    const byHand = 1024 * 432 + 6 * 1024 * 2304 + 256 * (4608 + 5 * 9216) + 64 * (18432 + 5 * 36864) + 640;
    expect(countFlops(res(20))).toBe(byHand);
    expect(countFlops(res(20))).toBe(40_551_040);
    expect(formatCount(countFlops(res(20)))).toBe('41M');
    expect(countFlops({ arch: 'plain', depth: 20 })).toBe(40_551_040);
  });

  it('counts option-B projections at their output resolution, and scales with image size', () => {
    expect(countFlops(res(20, { shortcut: 'B' })) - countFlops(res(20))).toBe(256 * 16 * 32 + 64 * 32 * 64);
    // ResNet-110 (n = 18): stem + 36 convs at 32x32 + stage 2 at 16x16 + stage 3 at 8x8 + fc.
    expect(countFlops(res(110))).toBe(1024 * 432 + 36 * 1024 * 2304 + 256 * (4608 + 35 * 9216) + 64 * (18432 + 35 * 36864) + 640);
    expect(countFlops(res(110))).toBe(252_887_680);
    // 64x64 input: every conv costs 4x, fc unchanged.
    expect(countFlops(res(20), 64)).toBe(4 * (40_551_040 - 640) + 640);
    // Odd sizes: stride-2 convs with padding 1 give ceil(H/2).
    expect(countFlops(res(8), 5)).toBe(25 * (432 + 2304 * 2) + 9 * (4608 + 9216) + 4 * (18432 + 36864) + 640);
    expect(() => countFlops(res(20), 0)).toThrow(ConfigError);
  });

  it('runs the bottleneck 1x1 reduce at the input resolution and the rest after the strided 3x3', () => {
    const stage = (cin: number, p: number, hIn: number, hOut: number) => hIn * hIn * cin * p + hOut * hOut * (p * p * 9 + p * 4 * p);
    const byHand = 1024 * 432 + stage(16, 16, 32, 32) + stage(64, 32, 32, 16) + stage(128, 64, 16, 8) + 256 * 10;
    expect(countFlops(res(11, { block: 'bottleneck' }))).toBe(byHand);
    expect(byHand).toBe(15_124_992);
    // Option B projections: 16->64 at 32x32, 64->128 and 128->256 at their strided output.
    expect(countFlops(res(11, { block: 'bottleneck', shortcut: 'B' })) - byHand).toBe(1024 * 16 * 64 + 256 * 64 * 128 + 64 * 128 * 256);
  });
});

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [650, '650'],
    [1_376, '1.4K'],
    [14_016, '14K'],
    [99_999, '100K'],
    [269_722, '0.27M'],
    [1_727_962, '1.7M'],
    [40_551_040, '41M'],
    [252_887_680, '253M'],
    [999_600_000, '1G'],
    [2_500_000_000, '2.5G'],
    [1_000_000, '1M'],
    [-2_000, '-2K'],
  ])('%d -> %s', (n, s) => expect(formatCount(n)).toBe(s));
});
