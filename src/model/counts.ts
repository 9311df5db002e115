// Parameter and compute counts of a network, derived from the same walk as its state layout.
import { ConfigError, type ModelConfig } from './config';
import { numel, stateLayout } from './stateLayout';
import { table1 } from './table1';

// The UI's window on the model's arithmetic (the layer table lets src/ui import this module only): Table 1 too.
export { table1, type StageRow, type Table1, type TableLayer } from './table1';
export { IMAGENET_DEPTHS } from './config';

export interface ParamCounts {
  /** Elements trained by SGD: conv/fc weights, biases, BN gamma and beta. */
  trainable: number;
  /** BN running mean and variance elements (not trained; num_batches_tracked not counted). */
  buffers: number;
}

export function countParams(cfg: ModelConfig): ParamCounts {
  let trainable = 0;
  let buffers = 0;
  for (const e of stateLayout(cfg)) {
    if (e.kind === 'param') trainable += numel(e.shape);
    else buffers += numel(e.shape);
  }
  return { trainable, buffers };
}

/**
 * Multiply-accumulates of one forward pass of one image of size imageSize x imageSize (table1.ts sums them per stage).
 * Counted: every convolution (out_h * out_w * out_c * in_c * k * k, including option-B projections)
 * and the fully connected layer (C * classes). Not counted: bias adds, BatchNorm (foldable into the conv
 * at inference), ReLU, the residual additions, option-A padding and the global average pool — together
 * well under 1% for these nets. This is the convention behind the paper's "FLOPs" figures
 * (e.g. 3.6 billion for ResNet-34), which are multiply-adds.
 */
export function countFlops(cfg: ModelConfig, imageSize = 32): number {
  return table1(cfg, imageSize).macs;
}

/**
 * Short human form with two significant digits (three-digit values are kept whole):
 * 650 -> "650", 14016 -> "14K", 269722 -> "0.27M", 1727962 -> "1.7M", 40551040 -> "41M", 2.5e9 -> "2.5G".
 * Values from 1e5 to 1e6 are written as a fraction of a million, as in the paper's tables.
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  const [unit, suffix] = a >= 999.5e6 ? [1e9, 'G'] : a >= 1e5 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'K'] : [1, ''];
  const v = a / unit;
  const text = v >= 100 || unit === 1 ? String(Math.round(v)) : String(Number(v.toPrecision(2)));
  return sign + text + suffix;
}

/** One residual block as the story's worked example draws it: its channels and block type. */
export interface BlockSpec {
  /** Channels entering and leaving the block (256 in the paper's ImageNet example). */
  channels: number;
  block: 'basic' | 'bottleneck';
  /** A bottleneck's inner width (the 1x1 reduces to it, the 3x3 runs at it); default channels / 4. */
  inner?: number;
}

export interface LayerWeights {
  name: string;
  /** Kernel height x width x input channels x output channels, as the paper writes them. */
  kernel: number;
  cin: number;
  cout: number;
  weights: number;
}

/**
 * The convolution weights of one block (no BN, no biases): two 3x3 layers for a basic block, 1x1 reduce + 3x3 +
 * 1x1 expand for a bottleneck. The same shapes convSpecs walks for a whole net, for a block the user sizes freely.
 */
export function blockWeights(s: BlockSpec): { layers: LayerWeights[]; total: number } {
  const c = s.channels;
  if (!Number.isInteger(c) || c < 1) throw new ConfigError(`channels must be a positive integer, not ${c}`);
  const inner = s.inner ?? Math.max(1, Math.floor(c / 4));
  if (!Number.isInteger(inner) || inner < 1) throw new ConfigError(`inner width must be a positive integer, not ${inner}`);
  const layer = (name: string, kernel: number, cin: number, cout: number): LayerWeights => ({
    name,
    kernel,
    cin,
    cout,
    weights: kernel * kernel * cin * cout,
  });
  const layers =
    s.block === 'basic'
      ? [layer('conv1', 3, c, c), layer('conv2', 3, c, c)]
      : [layer('conv1', 1, c, inner), layer('conv2', 3, inner, inner), layer('conv3', 1, inner, c)];
  return { layers, total: layers.reduce((a, l) => a + l.weights, 0) };
}

/** The deeper CIFAR bottleneck net (n = 18, depth 9n+2 = 164; He et al. 2016's ResNet-164, 1.7M parameters). */
export const RESNET164: ModelConfig = { arch: 'residual', depth: 164, block: 'bottleneck', shortcut: 'B' };
