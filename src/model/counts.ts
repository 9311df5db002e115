// Parameter and compute counts of a network, derived from the same walk as its state layout.
import { ConfigError, resolveConfig, type ModelConfig } from './config';
import { convSpecs, featureChannels, numel, stateLayout } from './stateLayout';

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
 * Multiply-accumulates of one forward pass of one image of size imageSize x imageSize.
 * Counted: every convolution (out_h * out_w * out_c * in_c * k * k, including option-B projections)
 * and the fully connected layer (C * classes). Not counted: bias adds, BatchNorm (foldable into the conv
 * at inference), ReLU, the residual additions, option-A padding and the global average pool — together
 * well under 1% for these nets. This is the convention behind the paper's "FLOPs" figures
 * (e.g. 3.6 billion for ResNet-34), which are multiply-adds.
 */
export function countFlops(cfg: ModelConfig, imageSize = 32): number {
  const r = resolveConfig(cfg);
  if (!Number.isInteger(imageSize) || imageSize < 1) throw new ConfigError(`image size must be a positive integer, not ${imageSize}`);
  // Convs use padding (k-1)/2, so a stride-s conv maps H to floor((H - 1) / s) + 1 = ceil(H / s).
  const down = (h: number, stride: number) => Math.floor((h - 1) / stride) + 1;
  let macs = 0;
  for (const c of convSpecs(r)) {
    let h = imageSize;
    for (let f = c.inputStride; f > 1; f /= 2) h = down(h, 2);
    const o = down(h, c.stride);
    macs += o * o * c.outChannels * c.inChannels * c.kernel * c.kernel;
  }
  return macs + featureChannels(r) * r.classes;
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
