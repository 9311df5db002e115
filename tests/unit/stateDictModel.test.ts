// Bare state dicts (no app metadata): torchvision's ResNets, saved as safetensors, are recognised from their
// names and shapes (tests/golden/torchvision-resnet-layout.json is torchvision's own state_dict() listing, with
// its num_batches_tracked buffers put back as safetensors.torch writes them), load as runs, and a file that is
// not quite one is refused with the tensor that does not fit.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { IMAGENET_DEPTHS, resolveConfig, type ModelConfig } from '../../src/model/config';
import { encodeSafetensors, type Tensor } from '../../src/model/safetensors';
import { stateLayout } from '../../src/model/stateLayout';
import { modelOfStateDict, modelOfStateDictFile } from '../../src/model/stateDictModel';
import { readCheckpoint } from '../../src/train/checkpoint';
import type { RunConfig } from '../../src/train/protocol';
import { filledState } from '../support/torchvisionFill';

const golden = JSON.parse(readFileSync('tests/golden/torchvision-resnet-layout.json', 'utf8')) as {
  models: Record<string, { params: number; state: [string, number[]][] }>;
};

/** torchvision's state dict as safetensors.torch.save_file writes it: every BN with an I64 num_batches_tracked. */
function torchvisionFile(entries: [string, number[]][], seed = 7, edit?: (t: Record<string, Tensor>) => void): Uint8Array {
  const values = filledState(
    entries.map(([name, shape]) => ({ name, shape, kind: 'param' as const })),
    seed,
  );
  const tensors: Record<string, Tensor> = {};
  for (const [name, shape] of entries) {
    tensors[name] = { dtype: 'F32', shape, data: values[name] };
    if (name.endsWith('.running_var'))
      tensors[name.replace(/running_var$/, 'num_batches_tracked')] = { dtype: 'I64', shape: [], data: BigInt64Array.of(123n) };
  }
  edit?.(tensors);
  return encodeSafetensors(tensors);
}

const recipe: RunConfig = {
  model: { arch: 'residual', depth: 20 },
  batchSize: 8,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 1e-4,
  schedule: 'constant',
  warmupSteps: 0,
  steps: 4,
  seed: 1,
  augment: false,
  valCount: 0,
  evalEvery: 0,
  evalImages: 0,
  evalBnModes: ['eval'],
};
const bare = (model: ModelConfig): RunConfig => ({ ...recipe, model });

describe("torchvision's ResNets from their names and shapes", () => {
  test.each([...IMAGENET_DEPTHS])('resnet%i', (depth) => {
    const want = golden.models[`resnet${depth}`].state;
    const model = modelOfStateDictFile(torchvisionFile(want));
    expect(resolveConfig(model)).toEqual(
      resolveConfig({ family: 'imagenet', arch: 'residual', depth, width: 64, classes: 1000, stem: 'imagenet', strideAt: '3x3' }),
    );
    expect(stateLayout(model).map((e) => [e.name, e.shape])).toEqual(want);
  });

  test('a torchvision ResNet-18 file loads as a run: every value, at step 0, with the recipe given', () => {
    const entries = golden.models.resnet18.state;
    const ckpt = readCheckpoint(torchvisionFile(entries), bare);
    expect(ckpt.meta.step).toBe(0);
    expect(ckpt.meta.config.model).toMatchObject({ family: 'imagenet', depth: 18, classes: 1000 });
    expect(ckpt.meta.config.lr).toBe(0.1);
    expect(ckpt.momentum).toBeUndefined();
    const values = filledState(
      entries.map(([name, shape]) => ({ name, shape, kind: 'param' as const })),
      7,
    );
    expect(Object.keys(ckpt.state)).toEqual(entries.map(([n]) => n));
    // Bitwise (a toEqual over 11.7M floats takes a minute).
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(entries.filter(([n]) => !bytes(ckpt.state[n]).equals(bytes(values[n]))).map(([n]) => n)).toEqual([]);
  });

  test('without a recipe (a caller that wants the app format) the bare file is refused', () => {
    expect(() => readCheckpoint(torchvisionFile(golden.models.resnet18.state))).toThrow(/not a ResNet Playground run checkpoint/);
  });

  test('a 10-class head and a 3x3 stem (the CIFAR reproductions of ResNet-18) are read off the shapes', () => {
    const layout = stateLayout({ family: 'imagenet', arch: 'residual', depth: 18, stem: 'cifar', classes: 10, width: 8 });
    const model = modelOfStateDict(Object.fromEntries(layout.map((e) => [e.name, { dtype: 'F32' as const, shape: e.shape }])));
    expect(model).toMatchObject({ family: 'imagenet', depth: 18, stem: 'cifar', classes: 10, width: 8 });
  });

  test.each<[string, ModelConfig]>([
    ['plain ResNet-34 (no downsample tensors)', { family: 'imagenet', arch: 'plain', depth: 34 }],
    ['CIFAR ResNet-20, option A', { arch: 'residual', depth: 20 }],
    ['CIFAR ResNet-32, option B', { arch: 'residual', depth: 32, shortcut: 'B' }],
    ['CIFAR bottleneck ResNet-29, no BN', { arch: 'residual', depth: 29, block: 'bottleneck', batchNorm: false }],
  ])('%s', (_, cfg) => {
    const layout = stateLayout(cfg);
    const model = modelOfStateDict(Object.fromEntries(layout.map((e) => [e.name, { dtype: 'F32' as const, shape: e.shape }])));
    expect(resolveConfig(model)).toEqual(resolveConfig(cfg));
  });
});

describe('files that are not quite a ResNet: which tensor, which shape', () => {
  const r18 = golden.models.resnet18.state;
  const refused = (edit: (t: Record<string, Tensor>) => void) => () => readCheckpoint(torchvisionFile(r18, 7, edit), bare);

  test('a missing classifier', () => {
    expect(
      refused((t) => {
        delete t['fc.weight'];
      }),
    ).toThrow(/'fc\.weight' is missing/);
  });

  test('one convolution of the wrong shape', () => {
    expect(
      refused((t) => {
        t['layer3.1.conv2.weight'] = { dtype: 'F32', shape: [256, 256, 1, 1], data: new Float32Array(256 * 256) };
      }),
    ).toThrow(/ResNet-18 \(width 64\).*layer3\.1\.conv2\.weight \(expected F32 \[256, 256, 3, 3\], found F32 \[256, 256, 1, 1\]\)/);
  });

  test('a block too many: no depth of Table 1', () => {
    expect(
      refused((t) => {
        for (const [n, v] of Object.entries(t)) if (n.startsWith('layer4.1.')) t[n.replace('layer4.1.', 'layer4.2.')] = v;
      }),
    ).toThrow(/basic blocks per stage \[2, 2, 2, 3\] are none of Table 1's/);
  });

  test('an extra tensor is named', () => {
    expect(
      refused((t) => {
        t['head.extra'] = { dtype: 'F32', shape: [3], data: new Float32Array(3) };
      }),
    ).toThrow(/unexpected 1: head\.extra/);
  });

  test('a file of something else entirely', () => {
    expect(() =>
      readCheckpoint(encodeSafetensors({ 'encoder.weight': { dtype: 'F32', shape: [2], data: new Float32Array(2) } }), bare),
    ).toThrow(/not a ResNet state dict this app can build: it has no 'conv1\.weight'/);
  });

  test('NaN in a weight', () => {
    expect(
      refused((t) => {
        (t['layer1.0.conv1.weight'].data as Float32Array)[5] = NaN;
      }),
    ).toThrow(/'layer1\.0\.conv1\.weight' holds NaN/);
  });
});
