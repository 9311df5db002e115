// Lowering: each node kind becomes the kernel dispatches that compute it. One exhaustive switch, so a
// new op kind does not compile until it is wired here.
import type { Gpu } from '../gpu/gpu';
import type { Tuning } from '../gpu/tuning';
import type { BufferRef, Dispatch } from '../kernels/kernel';
import { reluBackward, reluForward } from '../kernels/relu';
import { add } from '../kernels/residual';
import { shortcutA, shortcutABackward } from '../kernels/shortcut';
import { avgPool, avgPoolBackward, channelSum } from '../kernels/pool';
import { bnApply, bnBackward, bnStats, bnUpdateRunning } from '../kernels/batchnorm';
import { softmaxXent } from '../kernels/softmaxXent';
import { gemm } from '../kernels/gemm';
import { colElements, conv2dBackwardInput, conv2dBackwardWeight, conv2dForward, partialElements, type Pass } from '../kernels/conv';
import type { ConvGeom } from '../geometry';
import { numel, type Graph, type Node } from './ir';

export interface LowerCtx {
  gpu: Gpu;
  graph: Graph;
  /** The buffer of a tensor. */
  ref(tensor: number): BufferRef;
  /** The node's i-th scratch buffer (sizes from scratchBytes). */
  scratch(i: number): BufferRef | undefined;
}

function convGeom(g: Graph, x: number, w: number, a: { stride: number; pad: number }): ConvGeom {
  const [n, c, h, wd] = g.tensors[x].shape;
  const [o, , kh, kw] = g.tensors[w].shape;
  return { n, c, h, w: wd, o, kh, kw, stride: a.stride, pad: a.pad };
}

/** Per-channel view [N, C, S] of an N, C, ... tensor. */
function bnShape(shape: readonly number[]) {
  return { n: shape[0], c: shape[1], s: numel(shape.slice(2)) };
}

/**
 * Scratch bytes a node needs while it runs: im2col columns (none where `tuning` runs the pass implicit) and,
 * for the weight gradient, the partial sums of a split GEMM (partialElements).
 */
export function scratchBytes(g: Graph, n: Node, tuning?: Tuning): number[] {
  const run = (pass: Pass) => (tuning ? { tuning, pass } : undefined);
  switch (n.kind) {
    case 'conv2d':
      return [colElements(convGeom(g, n.inputs[0], n.inputs[1], n.attrs as Node<'conv2d'>['attrs']), run('forward')) * 4];
    case 'conv2dGradInput':
      return [colElements(convGeom(g, n.outputs[0], n.inputs[1], n.attrs as Node<'conv2dGradInput'>['attrs']), run('input')) * 4];
    case 'conv2dGradWeight': {
      const geom = convGeom(g, n.inputs[1], n.outputs[0], n.attrs as Node<'conv2dGradWeight'>['attrs']);
      // Columns, then the split-K partial sums of the weight GEMM (none without a tuning: the unsplit reference).
      return [colElements(geom, run('weight')) * 4, tuning ? partialElements(geom, tuning) * 4 : 0];
    }
    default:
      return [];
  }
}

export async function lower(c: LowerCtx, node: Node): Promise<Dispatch[]> {
  const { gpu, graph: g } = c;
  const T = (i: number) => g.tensors[i];
  const [i0, i1, i2, i3, i4] = node.inputs;
  const [o0, o1, o2] = node.outputs;
  const r = c.ref;
  const L = node.name;
  const n = node as Node<never>; // narrowed per case below
  switch (node.kind) {
    case 'conv2d': {
      const a = (n as Node<'conv2d'>).attrs;
      return conv2dForward(gpu, L, convGeom(g, i0, i1, a), r(i0), r(i1), i2 === undefined ? undefined : r(i2), c.scratch(0), r(o0));
    }
    case 'conv2dGradInput': {
      const a = (n as Node<'conv2dGradInput'>).attrs;
      return conv2dBackwardInput(gpu, L, convGeom(g, o0, i1, a), r(i0), r(i1), c.scratch(0), r(o0));
    }
    case 'conv2dGradWeight': {
      const a = (n as Node<'conv2dGradWeight'>).attrs;
      return conv2dBackwardWeight(gpu, L, convGeom(g, i1, o0, a), r(i0), r(i1), c.scratch(0), r(o0), { partials: c.scratch(1) });
    }
    case 'batchNorm': {
      const a = (n as Node<'batchNorm'>).attrs;
      const sh = bnShape(T(i0).shape);
      if (a.mode === 'eval') return [await bnApply(gpu, L, sh, r(i0), r(i3), r(i4), r(i1), r(i2), r(o0), { relu: a.relu })];
      return [
        await bnStats(gpu, `${L}.stats`, sh, r(i0), r(o1), r(o2)),
        await bnApply(gpu, L, sh, r(i0), r(o1), r(o2), r(i1), r(i2), r(o0), { relu: a.relu }),
      ];
    }
    case 'bnRunningUpdate': {
      const a = (n as Node<'bnRunningUpdate'>).attrs;
      return [await bnUpdateRunning(gpu, L, { n: a.count, c: T(i0).shape[0], s: 1 }, r(i0), r(i1), r(i2), r(i3))];
    }
    case 'batchNormGrad':
      return bnBackward(gpu, L, bnShape(T(i0).shape), r(i0), r(i1), r(i2), r(i3), r(i4), r(o0), r(o1), r(o2));
    case 'relu':
      return [await reluForward(gpu, L, numel(T(i0).shape), r(i0), r(o0))];
    case 'reluGrad':
      return [await reluBackward(gpu, L, numel(T(i0).shape), r(i0), r(i1), r(o0))];
    case 'add':
      return [await add(gpu, L, numel(T(i0).shape), r(i0), r(i1), r(o0), { relu: (n as Node<'add'>).attrs.relu })];
    case 'shortcutA': {
      const [bn, cin, h, w] = T(i0).shape;
      return [await shortcutA(gpu, L, { n: bn, cin, h, w, cout: T(o0).shape[1], stride: (n as Node<'shortcutA'>).attrs.stride }, r(i0), r(o0))];
    }
    case 'shortcutAGrad': {
      const [bn, cin, h, w] = T(o0).shape;
      return [await shortcutABackward(gpu, L, { n: bn, cin, h, w, cout: T(i0).shape[1], stride: (n as Node<'shortcutAGrad'>).attrs.stride }, r(i0), r(o0))];
    }
    case 'avgPool': {
      const sh = bnShape(T(i0).shape);
      return [await avgPool(gpu, L, sh.n, sh.c, sh.s, r(i0), r(o0))];
    }
    case 'avgPoolGrad': {
      const sh = bnShape(T(o0).shape);
      return [await avgPoolBackward(gpu, L, sh.n, sh.c, sh.s, r(i0), r(o0))];
    }
    case 'linear': {
      // y[N,K] = x[N,C] W^T + b: B(k=c, n=j) = W[j, c].
      const [bn, cin] = T(i0).shape;
      const k = T(i1).shape[0];
      const s = { m: bn, n: k, k: cin, batch: 1, aBatch: 0, aRow: cin, aCol: 1, bBatch: 0, bRow: 1, bCol: cin, cBatch: 0, cRow: k, cCol: 1, bias: 'col' as const };
      return [await gemm(gpu, L, s, r(i0), r(i1), r(o0), r(i2))];
    }
    case 'linearGradInput': {
      // dx[N,C] = dy[N,K] W[K,C]
      const [bn, k] = T(i0).shape;
      const cin = T(i1).shape[1];
      const s = { m: bn, n: cin, k, batch: 1, aBatch: 0, aRow: k, aCol: 1, bBatch: 0, bRow: cin, bCol: 1, cBatch: 0, cRow: cin, cCol: 1 };
      return [await gemm(gpu, L, s, r(i0), r(i1), r(o0))];
    }
    case 'linearGradWeight': {
      // dW[K,C] = dy^T[K,N] x[N,C]
      const [bn, k] = T(i0).shape;
      const cin = T(i1).shape[1];
      const s = { m: k, n: cin, k: bn, batch: 1, aBatch: 0, aRow: 1, aCol: k, bBatch: 0, bRow: cin, bCol: 1, cBatch: 0, cRow: cin, cCol: 1 };
      return [await gemm(gpu, L, s, r(i0), r(i1), r(o0))];
    }
    case 'biasGrad':
      return [await channelSum(gpu, L, bnShape(T(i0).shape), r(i0), r(o0))];
    case 'softmaxXent': {
      const [bn, k] = T(i0).shape;
      return [await softmaxXent(gpu, L, bn, k, r(i0), r(i1), r(o1), r(o0))];
    }
    default:
      return node.kind satisfies never;
  }
}
