// The paper's Table 1 for one network, derived from its definition (convSpecs), not typed in: per stage, its
// output size, the layers of one block with their widths, how many blocks, and the stage's parameters and
// multiply-adds at the given input size. The app draws it; `engine.mjs counts` prints it.
import { ConfigError, resolveConfig, stageBlocks, type ModelConfig } from './config';
import { convSpecs, featureChannels, hasImageNetStem, type ConvSpec } from './stateLayout';

export interface TableLayer {
  /** Kernel size (k x k) and output channels, as the paper writes "3x3, 64". */
  kernel: number;
  channels: number;
  /** 2 where this layer downsamples (the stage's first block only). */
  stride: number;
}

export interface StageRow {
  /** The paper's row name: conv1, conv2_x ... conv5_x (conv4_x for the CIFAR family's last stage), fc. */
  name: string;
  /** The module it is in the state dict: conv1, layer1 ... layer4, fc. */
  module: string;
  /** Output height = width at the input size. */
  output: number;
  /** Blocks in the stage (1 for the stem and the head). */
  blocks: number;
  /** One block's main path (the stem: its conv; the head: the classes). */
  layers: TableLayer[];
  /** The 3x3 stride-2 max-pool at the head of conv2_x, the average pool before fc, the shortcut projections. */
  notes: string[];
  params: number;
  macs: number;
}

export interface Table1 {
  input: number;
  rows: StageRow[];
  params: number;
  macs: number;
}

// Padding (k-1)/2: a stride-s layer maps h to ceil(h / s) (the max-pool, 3x3 with padding 1, too).
const down = (h: number, stride: number) => Math.floor((h - 1) / stride) + 1;

function convCost(c: ConvSpec, input: number) {
  let h = input;
  for (let f = c.inputStride; f > 1; f /= 2) h = down(h, 2);
  const o = down(h, c.stride);
  const weights = c.outChannels * c.inChannels * c.kernel * c.kernel;
  // BN gamma and beta, or the conv's bias: two vectors or one.
  return { out: o, macs: o * o * weights, params: weights + (c.bn ? 2 : 1) * c.outChannels };
}

/** Table 1 for this network at `input` x `input` images (MACs: every conv and the fc; see countFlops). */
export function table1(cfg: ModelConfig, input: number): Table1 {
  const r = resolveConfig(cfg);
  if (!Number.isInteger(input) || input < 1) throw new ConfigError(`image size must be a positive integer, not ${input}`);
  const specs = convSpecs(r);
  const rows: StageRow[] = [];
  const last = stageBlocks(r).length;
  for (let s = 0; s <= last; s++) {
    const convs = specs.filter((c) => c.stage === s);
    const costs = convs.map((c) => convCost(c, input));
    const first = convs.filter((c) => c.block === (s === 0 ? -1 : 0));
    const main = first.filter((c) => !/(shortcut|downsample)\.0$/.test(c.name));
    const notes: string[] = [];
    if (s === 1 && hasImageNetStem(r)) notes.push('3x3 max pool, stride 2');
    const projections = convs.filter((c) => /(shortcut|downsample)\.0$/.test(c.name)).length;
    if (projections) notes.push(`1x1 projection shortcut${projections > 1 ? `s (${projections})` : ''}`);
    else if (s > 0 && r.arch === 'residual' && r.shortcut === 'A' && main.some((c) => c.stride === 2))
      notes.push('zero-padded identity shortcut (option A)');
    rows.push({
      name: `conv${s + 1}${s === 0 ? '' : '_x'}`,
      module: s === 0 ? 'conv1' : `layer${s}`,
      output: Math.min(...costs.map((c) => c.out)),
      blocks: s === 0 ? 1 : stageBlocks(r)[s - 1],
      layers: main.map((c) => ({ kernel: c.kernel, channels: c.outChannels, stride: c.stride })),
      notes,
      params: costs.reduce((a, c) => a + c.params, 0),
      macs: costs.reduce((a, c) => a + c.macs, 0),
    });
  }
  const f = featureChannels(r);
  rows.push({
    name: 'fc',
    module: 'fc',
    output: 1,
    blocks: 1,
    layers: [{ kernel: 1, channels: r.classes, stride: 1 }],
    notes: ['average pool', `${r.classes}-d fc`, 'softmax'],
    params: f * r.classes + r.classes,
    macs: f * r.classes,
  });
  return { input, rows, params: rows.reduce((a, x) => a + x.params, 0), macs: rows.reduce((a, x) => a + x.macs, 0) };
}
