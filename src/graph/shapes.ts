// Shape rules: one per op kind, checked when a node is added, so a wrong wiring fails at build time
// with the node's name instead of as garbage on the GPU.
import type { OpAttrs, OpKind } from './ir';

type Shape = readonly number[];
/** Output shapes, or null where the caller supplies the outputs (gradients that take a forward tensor's shape). */
type Rule<K extends OpKind> = (ins: Shape[], a: OpAttrs[K]) => number[][] | null;

export class ShapeError extends Error {
  override name = 'ShapeError';
}

function need(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new ShapeError(msg);
}
const same = (a: Shape, b: Shape) => a.length === b.length && a.every((v, i) => v === b[i]);
const fmt = (s: Shape) => `[${s.join(',')}]`;
export const convOutSize = (size: number, k: number, stride: number, pad: number) => Math.floor((size + 2 * pad - k) / stride) + 1;

const conv2d: Rule<'conv2d'> = ([x, w, b], a) => {
  need(x.length === 4 && w.length === 4, `conv2d wants x NCHW and w OIHW, got ${fmt(x)} ${fmt(w)}`);
  need(x[1] === w[1], `conv2d: input has ${x[1]} channels, weight expects ${w[1]}`);
  need(!b || (b.length === 1 && b[0] === w[0]), `conv2d: bias ${b && fmt(b)} does not match ${w[0]} output channels`);
  const oh = convOutSize(x[2], w[2], a.stride, a.pad);
  const ow = convOutSize(x[3], w[3], a.stride, a.pad);
  need(oh > 0 && ow > 0, `conv2d: empty output for input ${fmt(x)} and kernel ${fmt(w)}`);
  return [[x[0], w[0], oh, ow]];
};

const perChannel = (x: Shape, p: Shape | undefined, what: string) =>
  need(!!p && p.length === 1 && p[0] === x[1], `${what} must be [${x[1]}], got ${p && fmt(p)}`);

export const shapeRules: { [K in OpKind]: Rule<K> } = {
  conv2d,
  batchNorm: ([x, g, b, rm, rv], a) => {
    need(x.length >= 2, `batchNorm wants [N, C, ...], got ${fmt(x)}`);
    perChannel(x, g, 'batchNorm gamma');
    perChannel(x, b, 'batchNorm beta');
    if (a.mode === 'eval') {
      perChannel(x, rm, 'batchNorm running_mean');
      perChannel(x, rv, 'batchNorm running_var');
      return [[...x]];
    }
    return [[...x], [x[1]], [x[1]]];
  },
  bnRunningUpdate: ([m, v, rm, rv]) => {
    need(same(m, v) && same(m, rm) && same(m, rv), 'bnRunningUpdate: statistics shapes differ');
    return [];
  },
  relu: ([x]) => [[...x]],
  add: ([x, y]) => {
    need(same(x, y), `add: shapes ${fmt(x)} and ${fmt(y)} differ`);
    return [[...x]];
  },
  shortcutA: ([x], a) => {
    need(x.length === 4, `shortcutA wants NCHW, got ${fmt(x)}`);
    need(a.cout >= x[1], `shortcutA cannot shrink ${x[1]} channels to ${a.cout}`);
    return [[x[0], a.cout, Math.ceil(x[2] / a.stride), Math.ceil(x[3] / a.stride)]];
  },
  avgPool: ([x]) => {
    need(x.length === 4, `avgPool wants NCHW, got ${fmt(x)}`);
    return [[x[0], x[1]]];
  },
  linear: ([x, w, b]) => {
    need(x.length === 2 && w.length === 2 && x[1] === w[1], `linear: x ${fmt(x)} and w ${fmt(w)} do not fit`);
    need(!!b && b.length === 1 && b[0] === w[0], `linear: bias must be [${w[0]}]`);
    return [[x[0], w[0]]];
  },
  softmaxXent: ([l, y]) => {
    need(l.length === 2 && y.length === 1 && y[0] === l[0], `softmaxXent: logits ${fmt(l)} and labels ${fmt(y)} do not fit`);
    return [[4], [...l]];
  },
  conv2dGradInput: () => null,
  conv2dGradWeight: () => null,
  biasGrad: ([dy]) => [[dy[1]]],
  batchNormGrad: ([dy, x, , , g]) => {
    need(same(dy, x), 'batchNormGrad: dy and x differ');
    return [[...x], [...g], [...g]];
  },
  reluGrad: ([dy, y]) => {
    need(same(dy, y), 'reluGrad: dy and y differ');
    return [[...dy]];
  },
  shortcutAGrad: () => null,
  avgPoolGrad: () => null,
  linearGradInput: ([dy, w]) => [[dy[0], w[1]]],
  linearGradWeight: ([dy, x]) => [[dy[1], x[1]]],
};
