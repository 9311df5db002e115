// The named state (parameters and BatchNorm statistics) of one network, in the order PyTorch's
// `state_dict()` lists it for the equivalent module tree, so a checkpoint written from this list loads
// into a PyTorch reproduction and back. Pure shape arithmetic: no graph, no GPU.
//
// Module tree (CIFAR: as in the common PyTorch CIFAR reproductions; ImageNet: torchvision.models.resnet's):
//   conv1, bn1, layer1, layer2, layer3 (ImageNet: and layer4), fc (the max-pool and average pool have no state)
//   basic block:      conv1 (3x3, stride), bn1, conv2 (3x3), bn2, shortcut
//   bottleneck block: conv1 (1x1 reduce), bn1, conv2 (3x3, stride), bn2, conv3 (1x1 expand x4), bn3, shortcut
//   option-B shortcut = Sequential(Conv2d 1x1 stride, BatchNorm2d) -> `shortcut.0`, `shortcut.1` (ImageNet:
//   torchvision's `downsample.0`, `downsample.1`),
//   present only in residual nets and only where the block changes shape (stride 2 or channel change).
//   Option A (strided identity + zero-padded channels) has no state.
// Within a BatchNorm2d, PyTorch lists weight, bias, running_mean, running_var, num_batches_tracked.
//
// `num_batches_tracked` is deliberately NOT part of the layout: it only matters for momentum=None
// (cumulative averaging), which we never use. A checkpoint we write therefore loads into PyTorch with
// `model.load_state_dict(sd, strict=False)` (the only keys reported missing are the num_batches_tracked
// ones); checkpoints written by PyTorch that contain it are accepted by `checkStateAgainstLayout`.
import { resolveConfig, stageBlocks, type ModelConfig, type ResolvedConfig } from './config';

export interface StateEntry {
  /** PyTorch-style name, e.g. `layer2.0.shortcut.1.running_var`. */
  name: string;
  /** OIHW for conv weights, [C] for BN vectors and biases, [classes, C] for fc.weight. */
  shape: number[];
  /** 'param': trained by SGD (weights, biases, BN gamma/beta); 'buffer': BN running mean/variance. */
  kind: 'param' | 'buffer';
}

/** One convolution of the network, in state order. Padding is (k-1)/2, so output size = ceil(input/stride). */
export interface ConvSpec {
  /** Module name, e.g. `layer1.0.conv2`, `layer2.0.shortcut.0` (CIFAR) or `layer2.0.downsample.0` (ImageNet). */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: 1 | 3 | 7;
  stride: 1 | 2;
  /** Name of the BatchNorm module that follows this conv, or null when batchNorm is off. */
  bn: string | null;
  /** Stage 0 for the stem, 1..3 (CIFAR) or 1..4 (ImageNet) for the stages. */
  stage: number;
  /** Block index within the stage (-1 for the stem). */
  block: number;
  /** Downsampling of this conv's input relative to the image (a power of 2): the stride-2 layers before it. */
  inputStride: number;
}

/** The ImageNet stem (7x7 stride-2 conv, 3x3 stride-2 max-pool) or the 3x3 stride-1 one. */
export const hasImageNetStem = (r: ResolvedConfig) => r.family === 'imagenet' && r.stem === 'imagenet';

/** Channels of the feature vector fed to the classifier (after global average pooling). */
export function featureChannels(cfg: ModelConfig): number {
  const r = resolveConfig(cfg);
  return (r.width << (stageBlocks(r).length - 1)) * (r.block === 'bottleneck' ? 4 : 1);
}

/** Every convolution of the network, in the order its state appears. Throws ConfigError for bad configs. */
export function convSpecs(cfg: ModelConfig): ConvSpec[] {
  const r = resolveConfig(cfg);
  const bottleneck = r.block === 'bottleneck';
  const expansion = bottleneck ? 4 : 1;
  const bigStem = hasImageNetStem(r);
  // torchvision calls the projection `downsample`; the CIFAR reproductions call it `shortcut`.
  const projection = r.family === 'imagenet' ? ['downsample.0', 'downsample.1'] : ['shortcut.0', 'shortcut.1'];
  const bnAfter = (bn: string) => (r.batchNorm ? bn : null);
  const out: ConvSpec[] = [];
  out.push({
    name: 'conv1',
    inChannels: 3,
    outChannels: r.width,
    kernel: bigStem ? 7 : 3,
    stride: bigStem ? 2 : 1,
    bn: bnAfter('bn1'),
    stage: 0,
    block: -1,
    inputStride: 1,
  });
  let inC = r.width;
  let scale = bigStem ? 4 : 1; // downsampling of the current block's input (the stem's conv and max-pool)
  stageBlocks(r).forEach((n, k) => {
    const s = k + 1;
    const planes = r.width << k;
    const outC = planes * expansion;
    for (let i = 0; i < n; i++) {
      const stride: 1 | 2 = s > 1 && i === 0 ? 2 : 1;
      const p = `layer${s}.${i}`;
      // Convs after the strided one (in the main path) see the downsampled map; the shortcut sees the block input.
      let at = scale;
      const conv = (suffix: string, bn: string, inChannels: number, outChannels: number, kernel: 1 | 3, st: 1 | 2, main = true) => {
        out.push({
          name: `${p}.${suffix}`,
          inChannels,
          outChannels,
          kernel,
          stride: st,
          bn: bnAfter(`${p}.${bn}`),
          stage: s,
          block: i,
          inputStride: main ? at : scale,
        });
        if (main) at *= st;
      };
      if (bottleneck) {
        const onFirst = r.strideAt === '1x1'; // the paper's placement; torchvision's v1.5 strides the 3x3
        conv('conv1', 'bn1', inC, planes, 1, onFirst ? stride : 1);
        conv('conv2', 'bn2', planes, planes, 3, onFirst ? 1 : stride);
        conv('conv3', 'bn3', planes, outC, 1, 1);
      } else {
        conv('conv1', 'bn1', inC, planes, 3, stride);
        conv('conv2', 'bn2', planes, planes, 3, 1);
      }
      if (r.arch === 'residual' && r.shortcut === 'B' && (stride !== 1 || inC !== outC)) {
        conv(projection[0], projection[1], inC, outC, 1, stride, false);
      }
      inC = outC;
      scale *= stride;
    }
  });
  return out;
}

/** The network's state in PyTorch `state_dict()` order (without num_batches_tracked; see the file comment). */
export function stateLayout(cfg: ModelConfig): StateEntry[] {
  const r = resolveConfig(cfg);
  const entries: StateEntry[] = [];
  for (const c of convSpecs(r)) {
    entries.push({ name: `${c.name}.weight`, shape: [c.outChannels, c.inChannels, c.kernel, c.kernel], kind: 'param' });
    if (c.bn === null) {
      entries.push({ name: `${c.name}.bias`, shape: [c.outChannels], kind: 'param' });
    } else {
      entries.push({ name: `${c.bn}.weight`, shape: [c.outChannels], kind: 'param' });
      entries.push({ name: `${c.bn}.bias`, shape: [c.outChannels], kind: 'param' });
      entries.push({ name: `${c.bn}.running_mean`, shape: [c.outChannels], kind: 'buffer' });
      entries.push({ name: `${c.bn}.running_var`, shape: [c.outChannels], kind: 'buffer' });
    }
  }
  const C = featureChannels(r);
  entries.push({ name: 'fc.weight', shape: [r.classes, C], kind: 'param' });
  entries.push({ name: 'fc.bias', shape: [r.classes], kind: 'param' });
  return entries;
}

/** Number of elements of a shape ([] is a scalar: 1). */
export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
