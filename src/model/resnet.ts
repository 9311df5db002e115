// The paper's networks as a graph: the CIFAR family (section 4.2: a 3x3 stem, three stages of n blocks of width,
// 2*width, 4*width filters) and the ImageNet family (Table 1: a 7x7 stride-2 stem and 3x3 stride-2 max-pool, or
// the 3x3 stem, then four stages); stride 2 at the first block of every stage after the first; global average
// pooling and a fully connected layer. Residual and plain nets differ only in the shortcuts. State names are
// PyTorch's (the ImageNet family: torchvision's), in stateLayout.ts's order.
import { GraphBuilder } from '../graph/builder';
import { stageBlocks, type ResolvedConfig } from './config';
import { hasImageNetStem } from './stateLayout';

/** How a parameter is initialised (all draws from one seeded generator, in creation order). */
export type InitKind = { kind: 'he'; fanIn: number } | { kind: 'uniform'; bound: number } | { kind: 'ones' } | { kind: 'zeros' };

export interface ParamSpec {
  name: string;
  id: number;
  init: InitKind;
}

export interface NetGraph {
  b: GraphBuilder;
  images: number;
  labels: number;
  logits: number;
  metrics: number;
  /** Trainable parameters in state-dict order. */
  params: ParamSpec[];
  /** BN running statistics in state-dict order (running_mean initialised to 0, running_var to 1). */
  states: ParamSpec[];
  /** Parameters and statistics interleaved as PyTorch's state_dict lists them. */
  stateOrder: ParamSpec[];
  /** The output tensor of every block, input to output (where activation recomputation may cut the graph). */
  blockOutputs: number[];
  /** With `probe`: the tensors the analysis lab measures (analysis graphs only). */
  probes?: NetProbes;
  /** With `saliency`, once the backward pass is appended: d loss / d images. */
  inputGrad?: number;
}

/** Checkpoints for activation recomputation: the output of every k-th block (k < 1: none). */
export function checkpointsEvery(net: NetGraph, k: number): number[] {
  if (!(k >= 1)) return [];
  return net.blockOutputs.filter((_, i) => (i + 1) % k === 0 && i + 1 < net.blockOutputs.length);
}

/**
 * Graph variants for the analysis lab, each built once (never per-step branching). `probe`: every 3x3 layer's
 * response (after BN, before ReLU or the addition) is its own tensor (BN and ReLU unfused) and is listed, with each
 * residual block's F(x) and shortcut. `lesion`: the block of that index (0-based over all blocks, input to output)
 * is removed at inference: its output is its shortcut (identity, option A's padding or option B's projection, then
 * ReLU as the block would apply it); in a plain net, the identity (option A's padding where the shape changes).
 */
export interface NetGraphOptions {
  probe?: boolean;
  lesion?: number;
  /** Also the gradient of the loss with respect to the images (runtime/targets.ts appends it; saliency). */
  saliency?: boolean;
  /** Input height = width (default 32, what the trainer's augmentation writes). */
  imageSize?: number;
}

export interface NetProbes {
  /** 3x3 layers input to output: conv name and its response tensor. */
  responses: { name: string; id: number }[];
  /** Residual blocks input to output: F(x) (the last BN's output, before the addition) and the shortcut it is added to. */
  blocks: { name: string; residual: number; shortcut: number }[];
  /** With BatchNorm: each 3x3 layer's convolution output, the BN's input (same order as `responses`). */
  bnInputs: { name: string; id: number }[];
  /** The last stage's output, [N, C, H, W], that global average pooling reads (class activation maps). */
  features: number;
}

export function buildNetGraph(cfg: ResolvedConfig, batch: number, bnMode: 'train' | 'eval', opts: NetGraphOptions = {}): NetGraph {
  const b = new GraphBuilder();
  const probes: NetProbes = { responses: [], blocks: [], bnInputs: [], features: -1 };
  /** With opts.probe, records a 3x3 layer's response `y` (before ReLU) and returns it with the ReLU applied when asked. */
  const respond = (conv: string, k: number, y: number, relu: boolean, reluName: string): number => {
    if (k === 3) probes.responses.push({ name: conv, id: y });
    return relu ? b.op('relu', reluName, [y], {})[0] : y;
  };
  const params: ParamSpec[] = [];
  const states: ParamSpec[] = [];
  const stateOrder: ParamSpec[] = [];
  const param = (name: string, shape: number[], init: InitKind) => {
    const id = b.tensor(name, shape, 'param');
    params.push({ name, id, init });
    stateOrder.push(params[params.length - 1]);
    return id;
  };
  const state = (name: string, shape: number[], init: InitKind) => {
    const id = b.tensor(name, shape, 'state');
    states.push({ name, id, init });
    stateOrder.push(states[states.length - 1]);
    return id;
  };

  const size = opts.imageSize ?? 32;
  const images = b.tensor('images', [batch, 3, size, size], 'input');
  const labels = b.tensor('labels', [batch], 'labels', 'i32');

  /** conv (+ BN) (+ ReLU); without BN the conv has a bias and ReLU is its own op. */
  const convBn = (x: number, conv: string, bn: string, cout: number, k: number, stride: number, relu: boolean): number => {
    const cin = b.shape(x)[1];
    const fanIn = cin * k * k;
    const w = param(`${conv}.weight`, [cout, cin, k, k], { kind: 'he', fanIn });
    const pad = (k - 1) >> 1;
    if (!cfg.batchNorm) {
      const bias = param(`${conv}.bias`, [cout], { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
      const y = b.op('conv2d', conv, [x, w, bias], { stride, pad })[0];
      if (opts.probe) return respond(conv, k, y, relu, `${conv}.relu`);
      return relu ? b.op('relu', `${conv}.relu`, [y], {})[0] : y;
    }
    const y = b.op('conv2d', conv, [x, w], { stride, pad })[0];
    const gamma = param(`${bn}.weight`, [cout], { kind: 'ones' });
    const beta = param(`${bn}.bias`, [cout], { kind: 'zeros' });
    const rm = state(`${bn}.running_mean`, [cout], { kind: 'zeros' });
    const rv = state(`${bn}.running_var`, [cout], { kind: 'ones' });
    if (bnMode === 'eval' && opts.probe && k === 3) probes.bnInputs.push({ name: conv, id: y });
    if (bnMode === 'eval' && opts.probe)
      return respond(conv, k, b.op('batchNorm', bn, [y, gamma, beta, rm, rv], { mode: 'eval', relu: false })[0], relu, `${bn}.relu`);
    if (bnMode === 'eval') return b.op('batchNorm', bn, [y, gamma, beta, rm, rv], { mode: 'eval', relu })[0];
    if (opts.probe) throw new Error('probe graphs are eval-mode graphs');
    const [out, mean, variance] = b.op('batchNorm', bn, [y, gamma, beta], { mode: 'train', relu }, { outNames: ['y', 'mean', 'var'] });
    const [n, , h, wd] = b.shape(y);
    b.phase = 'running';
    b.op('bnRunningUpdate', `${bn}.update`, [mean, variance, rm, rv], { count: n * h * wd });
    b.phase = 'forward';
    return out;
  };

  // torchvision calls the projection `downsample`; the CIFAR reproductions call it `shortcut`.
  const projection = cfg.family === 'imagenet' ? ['downsample.0', 'downsample.1'] : ['shortcut.0', 'shortcut.1'];
  let blockIndex = 0;
  const block = (x: number, name: string, planes: number, stride: number): number => {
    const residual = cfg.arch === 'residual';
    const bottleneck = cfg.block === 'bottleneck';
    const cout = bottleneck ? planes * 4 : planes;
    if (opts.lesion === blockIndex++) return lesioned(x, name, cout, stride);
    let y: number;
    if (bottleneck) {
      const onFirst = cfg.strideAt === '1x1'; // the paper's placement; torchvision's v1.5 strides the 3x3
      y = convBn(x, `${name}.conv1`, `${name}.bn1`, planes, 1, onFirst ? stride : 1, true);
      y = convBn(y, `${name}.conv2`, `${name}.bn2`, planes, 3, onFirst ? 1 : stride, true);
      y = convBn(y, `${name}.conv3`, `${name}.bn3`, cout, 1, 1, !residual);
    } else {
      y = convBn(x, `${name}.conv1`, `${name}.bn1`, planes, 3, stride, true);
      y = convBn(y, `${name}.conv2`, `${name}.bn2`, cout, 3, 1, !residual);
    }
    if (!residual) return y;
    const cin = b.shape(x)[1];
    let sc = x;
    if (stride !== 1 || cin !== cout) {
      sc =
        cfg.shortcut === 'A'
          ? b.op('shortcutA', `${name}.shortcut`, [x], { stride, cout })[0]
          : convBn(x, `${name}.${projection[0]}`, `${name}.${projection[1]}`, cout, 1, stride, false);
    }
    if (opts.probe) probes.blocks.push({ name, residual: y, shortcut: sc });
    return b.op('add', `${name}.add`, [y, sc], { relu: true })[0];
  };

  /** A removed block: its shortcut alone (see NetGraphOptions.lesion). */
  const lesioned = (x: number, name: string, cout: number, stride: number): number => {
    const cin = b.shape(x)[1];
    if (stride === 1 && cin === cout) return x; // x is a ReLU output: the block's ReLU would leave it as it is
    if (cfg.arch === 'residual' && cfg.shortcut === 'B') {
      const sc = convBn(x, `${name}.${projection[0]}`, `${name}.${projection[1]}`, cout, 1, stride, false);
      return b.op('relu', `${name}.lesion.relu`, [sc], {})[0];
    }
    return b.op('shortcutA', `${name}.shortcut`, [x], { stride, cout })[0];
  };

  let x: number;
  if (hasImageNetStem(cfg)) {
    x = convBn(images, 'conv1', 'bn1', cfg.width, 7, 2, true);
    x = b.op('maxPool', 'maxpool', [x], { k: 3, stride: 2, pad: 1 })[0];
  } else x = convBn(images, 'conv1', 'bn1', cfg.width, 3, 1, true);
  const blockOutputs: number[] = [];
  stageBlocks(cfg).forEach((n, k) => {
    for (let i = 0; i < n; i++) blockOutputs.push((x = block(x, `layer${k + 1}.${i}`, cfg.width << k, k > 0 && i === 0 ? 2 : 1)));
  });
  probes.features = x;
  const pooled = b.op('avgPool', 'avgpool', [x], {})[0];
  const c = b.shape(pooled)[1];
  const fcw = param('fc.weight', [cfg.classes, c], { kind: 'he', fanIn: c });
  const fcb = param('fc.bias', [cfg.classes], { kind: 'uniform', bound: 1 / Math.sqrt(c) });
  const logits = b.op('linear', 'fc', [pooled, fcw, fcb], {})[0];
  const [metrics] = b.op(
    'softmaxXent',
    'loss',
    [logits, labels],
    {},
    { outNames: ['metrics', 'dlogits'], roles: ['metrics', 'activation'] },
  );
  if (opts.lesion !== undefined && (!Number.isInteger(opts.lesion) || opts.lesion < 0 || opts.lesion >= blockIndex)) {
    throw new Error(`no block ${opts.lesion} to remove: the net has ${blockIndex} blocks`);
  }
  return { b, images, labels, logits, metrics, params, states, stateOrder, blockOutputs, ...(opts.probe ? { probes } : {}) };
}
