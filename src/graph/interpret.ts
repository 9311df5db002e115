// Runs a graph on the CPU in float64 with the reference ops: the ground truth the GPU executor is tested
// against, and what autodiff is checked with (finite differences of the forward, no GPU involved).
import * as conv from '../reference/conv';
import * as bn from '../reference/batchnorm';
import * as reluRef from '../reference/relu';
import * as residualRef from '../reference/residual';
import * as sc from '../reference/shortcut';
import * as pool from '../reference/pool';
import * as gemmRef from '../reference/gemm';
import * as loss from '../reference/softmaxXent';
import type { ConvGeom } from '../geometry';
import { numel, type Graph, type Node, type Phase } from './ir';

export type Values = Map<number, Float64Array>;

function geom(g: Graph, x: number, w: number, a: { stride: number; pad: number }): ConvGeom {
  const [n, c, h, wd] = g.tensors[x].shape;
  const [o, , kh, kw] = g.tensors[w].shape;
  return { n, c, h, w: wd, o, kh, kw, stride: a.stride, pad: a.pad };
}
const per = (s: readonly number[]) => ({ n: s[0], c: s[1], s: numel(s.slice(2)) });

/** Evaluates the nodes of the given phases in order; `v` holds inputs, parameters and statistics and receives every result. */
export function interpret(g: Graph, v: Values, phases: ReadonlySet<Phase>): Values {
  const get = (id: number) => {
    const a = v.get(id);
    if (!a) throw new Error(`interpret: ${g.tensors[id].name} has no value`);
    return a;
  };
  for (const node of g.nodes) {
    if (!phases.has(node.phase)) continue;
    const I = node.inputs.map((i) => (i === undefined ? undefined : get(i)));
    const S = node.inputs.map((i) => g.tensors[i].shape);
    const out = (k: number, a: Float64Array) => v.set(node.outputs[k], a);
    const n = node as Node<never>;
    switch (node.kind) {
      case 'conv2d':
        out(0, conv.conv2d(geom(g, node.inputs[0], node.inputs[1], (n as Node<'conv2d'>).attrs), I[0]!, I[1]!, I[2]));
        break;
      case 'conv2dGradInput':
        out(0, conv.conv2dBackwardInput(geom(g, node.outputs[0], node.inputs[1], (n as Node<'conv2dGradInput'>).attrs), I[0]!, I[1]!));
        break;
      case 'conv2dGradWeight':
        out(0, conv.conv2dBackwardWeight(geom(g, node.inputs[1], node.outputs[0], (n as Node<'conv2dGradWeight'>).attrs), I[0]!, I[1]!));
        break;
      case 'batchNorm': {
        const a = (n as Node<'batchNorm'>).attrs;
        const sh = per(S[0]);
        if (a.mode === 'eval') {
          const y = bn.bnApply(sh, I[0]!, I[3]!, I[4]!, I[1]!, I[2]!);
          out(0, a.relu ? reluRef.relu(y) : y);
        } else {
          const r = bn.bnForwardTrain(sh, I[0]!, I[1]!, I[2]!);
          out(0, a.relu ? reluRef.relu(r.y) : r.y);
          out(1, r.mean);
          out(2, r.variance);
        }
        break;
      }
      case 'bnRunningUpdate': {
        const count = (n as Node<'bnRunningUpdate'>).attrs.count;
        const r = bn.bnUpdateRunning({ n: count, c: S[0][0], s: 1 }, I[2]!, I[3]!, I[0]!, I[1]!);
        v.set(node.inputs[2], r.runMean);
        v.set(node.inputs[3], r.runVar);
        break;
      }
      case 'batchNormGrad': {
        const r = bn.bnBackward(per(S[0]), I[0]!, I[1]!, I[2]!, I[3]!, I[4]!);
        out(0, r.dx);
        out(1, r.dgamma);
        out(2, r.dbeta);
        break;
      }
      case 'relu':
        out(0, reluRef.relu(I[0]!));
        break;
      case 'reluGrad':
        out(0, reluRef.reluBackward(I[0]!, I[1]!));
        break;
      case 'add':
        out(0, (n as Node<'add'>).attrs.relu ? residualRef.addRelu(I[0]!, I[1]!) : residualRef.add(I[0]!, I[1]!));
        break;
      case 'shortcutA': {
        const [bn_, cin, h, w] = S[0];
        out(0, sc.shortcutA({ n: bn_, cin, h, w, cout: g.tensors[node.outputs[0]].shape[1], stride: (n as Node<'shortcutA'>).attrs.stride }, I[0]!));
        break;
      }
      case 'shortcutAGrad': {
        const [bn_, cin, h, w] = g.tensors[node.outputs[0]].shape;
        out(0, sc.shortcutABackward({ n: bn_, cin, h, w, cout: S[0][1], stride: (n as Node<'shortcutAGrad'>).attrs.stride }, I[0]!));
        break;
      }
      case 'avgPool': {
        const p = per(S[0]);
        out(0, pool.avgPool(p.n, p.c, p.s, I[0]!));
        break;
      }
      case 'avgPoolGrad': {
        const p = per(g.tensors[node.outputs[0]].shape);
        out(0, pool.avgPoolBackward(p.n, p.c, p.s, I[0]!));
        break;
      }
      case 'linear':
        out(0, gemmRef.linear(S[0][0], S[0][1], S[1][0], I[0]!, I[1]!, I[2]));
        break;
      case 'linearGradInput': {
        const [bn_, k] = S[0];
        const cin = S[1][1];
        out(0, gemmRef.linearBackward(bn_, cin, k, I[0]!, new Float64Array(bn_ * cin), I[1]!).dx);
        break;
      }
      case 'linearGradWeight': {
        const [bn_, k] = S[0];
        const cin = S[1][1];
        out(0, gemmRef.linearBackward(bn_, cin, k, I[0]!, I[1]!, new Float64Array(k * cin)).dw);
        break;
      }
      case 'biasGrad':
        out(0, pool.channelSum(per(S[0]), I[0]!));
        break;
      case 'softmaxXent': {
        const r = loss.softmaxXent(S[0][0], S[0][1], I[0]!, I[1]!);
        out(0, Float64Array.of(r.loss, r.correct, 0, 0));
        out(1, r.dlogits);
        break;
      }
      default:
        node.kind satisfies never;
    }
  }
  return v;
}
