// Which network a bare state dict is (a safetensors file of names and shapes only, as
// `safetensors.torch.save_file(torchvision.models.resnet18().state_dict(), f)` writes it, without this app's
// run settings): read from the names and shapes alone, then held to the whole layout of that network by
// checkStateAgainstLayout, so a file that is almost a ResNet is refused with the tensors that do not fit.
//   stages:    layer1..layer4 -> the ImageNet family (torchvision's names); layer1..layer3 -> the CIFAR family
//   block:     layer1.0.conv3.weight present -> bottleneck; else basic
//   depth:     blocks per stage (Table 1's rows; CIFAR: n per stage -> 6n+2 or 9n+2)
//   width:     conv1.weight's output channels; stem: its kernel (7 -> 7x7 + max-pool, 3 -> 3x3)
//   classes:   fc.weight's rows; batchNorm: bn1.weight present (else every conv has a bias)
//   shortcut:  `downsample.0` / `shortcut.0` tensors -> residual with projections (B); none -> the ImageNet
//              family's plain twin (torchvision's ResNets always have them), the CIFAR family's option A
//              (the paper's CIFAR nets have no shortcut weights; plain and option A look the same on disk)
//   strideAt:  not in the weights: '3x3' (torchvision's v1.5, the weights users have)
import { IMAGENET_BLOCKS, IMAGENET_DEPTHS, type ModelConfig } from './config';
import { CheckpointError, checkStateAgainstLayout, readSafetensorsHeader, type Tensor } from './safetensors';
import { stateLayout } from './stateLayout';

export type { ModelConfig };

type Shapes = Record<string, Pick<Tensor, 'dtype' | 'shape'>>;

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The network a bare state dict holds; throws CheckpointError saying which tensor does not fit. */
export function modelOfStateDict(tensors: Shapes): ModelConfig {
  const refuse = (why: string): never => {
    throw new CheckpointError(`this file is not a ResNet state dict this app can build: ${why}`);
  };
  const conv1 = tensors['conv1.weight']?.shape;
  if (!conv1) refuse("it has no 'conv1.weight' (torchvision's and the CIFAR reproductions' first convolution)");
  const [width, inC, kh, kw] = conv1;
  if (conv1.length !== 4 || inC !== 3 || kh !== kw || (kh !== 7 && kh !== 3))
    refuse(`'conv1.weight' has shape ${fmt(conv1)}, not [C, 3, 7, 7] or [C, 3, 3, 3]`);
  const fc = tensors['fc.weight']?.shape;
  if (!fc || fc.length !== 2)
    refuse(`'fc.weight' is ${fc ? `of shape ${fmt(fc)}` : 'missing'}: the classifier must be [classes, features]`);
  const names = Object.keys(tensors);
  const blocks: number[] = [];
  for (let s = 1; names.some((n) => n.startsWith(`layer${s}.`)); s++) {
    let n = 0;
    while (`layer${s}.${n}.conv1.weight` in tensors) n++;
    if (n === 0) refuse(`'layer${s}' has no block 0 ('layer${s}.0.conv1.weight' is missing)`);
    blocks.push(n);
  }
  const bottleneck = 'layer1.0.conv3.weight' in tensors;
  const projections = names.some((n) => /\.(downsample|shortcut)\.0\.weight$/.test(n));
  const common = {
    width,
    classes: fc[0],
    batchNorm: 'bn1.weight' in tensors,
    block: bottleneck ? ('bottleneck' as const) : ('basic' as const),
  };
  let model: ModelConfig;
  if (blocks.length === 4) {
    const depth = IMAGENET_DEPTHS.find((d) => d >= 50 === bottleneck && IMAGENET_BLOCKS[d].every((b, i) => b === blocks[i]));
    if (depth === undefined)
      refuse(
        `its ${common.block} blocks per stage ${fmt(blocks)} are none of Table 1's (` +
          IMAGENET_DEPTHS.map((d) => `ResNet-${d}: ${fmt(IMAGENET_BLOCKS[d])}`).join(', ') +
          ')',
      );
    model = {
      ...common,
      family: 'imagenet',
      depth: depth!,
      arch: projections ? 'residual' : 'plain',
      shortcut: 'B',
      stem: kh === 7 ? 'imagenet' : 'cifar',
      strideAt: '3x3',
    };
  } else if (blocks.length === 3) {
    if (kh !== 3) refuse(`a three-stage (CIFAR) net starts with a 3x3 convolution, but 'conv1.weight' is ${fmt(conv1)}`);
    if (!blocks.every((b) => b === blocks[0])) refuse(`its stages have ${fmt(blocks)} blocks; the CIFAR family has n in each`);
    model = {
      ...common,
      family: 'cifar',
      depth: blocks[0] * (bottleneck ? 9 : 6) + 2,
      arch: 'residual',
      shortcut: projections ? 'B' : 'A',
    };
  } else {
    return refuse(`it has ${blocks.length} stages (layer1, layer2, ...); ResNets here have 3 (CIFAR) or 4 (ImageNet)`);
  }
  try {
    checkStateAgainstLayout(tensors, stateLayout(model));
  } catch (e) {
    const name = `${model.arch === 'plain' ? 'plain ' : ''}${model.family === 'imagenet' ? 'ResNet' : 'CIFAR ResNet'}-${model.depth} (width ${width})`;
    throw new CheckpointError(`read as a ${name} from its names, ${(e as Error).message}`);
  }
  return model;
}

/** The same, from a file's header alone (the page reads it before sending the file to the worker). */
export function modelOfStateDictFile(bytes: Uint8Array): ModelConfig {
  const { entries } = readSafetensorsHeader(bytes);
  return modelOfStateDict(Object.fromEntries(entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape }])));
}
