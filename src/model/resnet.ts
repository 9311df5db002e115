// The paper's CIFAR networks (He et al. 2015, section 4.2) as a graph: a 3x3 stem, three stages of n blocks
// (width, 2*width, 4*width filters; stride 2 at the first block of stages 2 and 3), global average pooling and
// a fully connected layer. Residual and plain nets differ only in the shortcuts. State names are PyTorch's.
import { GraphBuilder } from '../graph/builder';
import { blocksPerStage, type ResolvedConfig } from './config';

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
}

/** Checkpoints for activation recomputation: the output of every k-th block (k < 1: none). */
export function checkpointsEvery(net: NetGraph, k: number): number[] {
  if (!(k >= 1)) return [];
  return net.blockOutputs.filter((_, i) => (i + 1) % k === 0 && i + 1 < net.blockOutputs.length);
}

export function buildNetGraph(cfg: ResolvedConfig, batch: number, bnMode: 'train' | 'eval'): NetGraph {
  const b = new GraphBuilder();
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

  const images = b.tensor('images', [batch, 3, 32, 32], 'input');
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
      return relu ? b.op('relu', `${conv}.relu`, [y], {})[0] : y;
    }
    const y = b.op('conv2d', conv, [x, w], { stride, pad })[0];
    const gamma = param(`${bn}.weight`, [cout], { kind: 'ones' });
    const beta = param(`${bn}.bias`, [cout], { kind: 'zeros' });
    const rm = state(`${bn}.running_mean`, [cout], { kind: 'zeros' });
    const rv = state(`${bn}.running_var`, [cout], { kind: 'ones' });
    if (bnMode === 'eval') return b.op('batchNorm', bn, [y, gamma, beta, rm, rv], { mode: 'eval', relu })[0];
    const [out, mean, variance] = b.op('batchNorm', bn, [y, gamma, beta], { mode: 'train', relu }, { outNames: ['y', 'mean', 'var'] });
    const [n, , h, wd] = b.shape(y);
    b.phase = 'running';
    b.op('bnRunningUpdate', `${bn}.update`, [mean, variance, rm, rv], { count: n * h * wd });
    b.phase = 'forward';
    return out;
  };

  const block = (x: number, name: string, planes: number, stride: number): number => {
    const residual = cfg.arch === 'residual';
    const bottleneck = cfg.block === 'bottleneck';
    const cout = bottleneck ? planes * 4 : planes;
    let y: number;
    if (bottleneck) {
      y = convBn(x, `${name}.conv1`, `${name}.bn1`, planes, 1, 1, true);
      y = convBn(y, `${name}.conv2`, `${name}.bn2`, planes, 3, stride, true);
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
          : convBn(x, `${name}.shortcut.0`, `${name}.shortcut.1`, cout, 1, stride, false);
    }
    return b.op('add', `${name}.add`, [y, sc], { relu: true })[0];
  };

  let x = convBn(images, 'conv1', 'bn1', cfg.width, 3, 1, true);
  const n = blocksPerStage(cfg);
  const blockOutputs: number[] = [];
  for (let s = 1; s <= 3; s++) {
    const planes = cfg.width << (s - 1);
    for (let i = 0; i < n; i++) blockOutputs.push((x = block(x, `layer${s}.${i}`, planes, s > 1 && i === 0 ? 2 : 1)));
  }
  const pooled = b.op('avgPool', 'avgpool', [x], {})[0];
  const c = b.shape(pooled)[1];
  const fcw = param('fc.weight', [cfg.classes, c], { kind: 'he', fanIn: c });
  const fcb = param('fc.bias', [cfg.classes], { kind: 'uniform', bound: 1 / Math.sqrt(c) });
  const logits = b.op('linear', 'fc', [pooled, fcw, fcb], {})[0];
  const [metrics] = b.op('softmaxXent', 'loss', [logits, labels], {}, { outNames: ['metrics', 'dlogits'], roles: ['metrics', 'activation'] });
  return { b, images, labels, logits, metrics, params, states, stateOrder, blockOutputs };
}
