// BatchNorm (train: batch statistics; eval: running ones), optionally fused with the ReLU after it, the
// running-statistics update, and the train-mode backward (kernels/batchnorm.ts; reference/batchnorm.ts).
import {
  bnApply,
  bnBackward,
  bnEvalGradInput as bnEvalGradKernel,
  bnPartialBytes,
  bnStats,
  bnUpdateRunning,
} from '../../kernels/batchnorm';
import * as ref from '../../reference/batchnorm';
import { relu } from '../../reference/relu';
import { perChannel } from '../../geometry';
import { need, needPerChannel, same, fmt } from '../shapes';
import { notDifferentiable, type OpDef } from './types';

export const batchNorm: OpDef<'batchNorm'> = {
  shape: ([x, g, b, rm, rv], a) => {
    need(x.length >= 2, `batchNorm wants [N, C, ...], got ${fmt(x)}`);
    needPerChannel(x, g, 'batchNorm gamma');
    needPerChannel(x, b, 'batchNorm beta');
    if (a.mode === 'eval') {
      needPerChannel(x, rm, 'batchNorm running_mean');
      needPerChannel(x, rv, 'batchNorm running_var');
      return [[...x]];
    }
    return [[...x], [x[1]], [x[1]]];
  },
  backward: (c) => {
    const { node, dy, grad, op } = c;
    if (node.attrs.mode !== 'train') {
      // Eval mode is differentiable with respect to its input only (saliency): a per-channel scale.
      if (c.needs(1) || c.needs(2) || !c.needs(0)) return notDifferentiable(c);
      const [, gamma, , , rv] = node.inputs;
      const d = node.attrs.relu ? op('reluGrad', `${node.name}.drelu`, [dy[0]!, node.outputs[0]], {})[0] : dy[0]!;
      return [op('bnEvalGradInput', `${node.name}.dx`, [d, gamma, rv], {}, { given: [grad(0)] })[0]];
    }
    const [x, gamma] = node.inputs;
    const [y, mean, variance] = node.outputs;
    const d = node.attrs.relu ? op('reluGrad', `${node.name}.drelu`, [dy[0]!, y], {})[0] : dy[0]!;
    return op('batchNormGrad', `${node.name}.dx`, [d, x, mean, variance, gamma], {}, { given: [grad(0), grad(1), grad(2)] });
  },
  // Train mode: the statistics' partial results where the tuning splits the reduction over workgroups.
  scratch: ({ node, ins }, tuning) => (node.attrs.mode === 'train' && tuning ? [bnPartialBytes(perChannel(ins[0]), tuning.bnReduce)] : []),
  lower: async (c) => {
    const { gpu, node, input, output } = c;
    const L = node.name;
    const sh = perChannel(c.ins[0]);
    const opts = { relu: node.attrs.relu };
    if (node.attrs.mode === 'eval') return [await bnApply(gpu, L, sh, input(0), input(3), input(4), input(1), input(2), output(0), opts)];
    return [
      ...(await bnStats(gpu, `${L}.stats`, sh, input(0), output(1), output(2), { partials: c.scratch(0) })),
      await bnApply(gpu, L, sh, input(0), output(1), output(2), input(1), input(2), output(0), opts),
    ];
  },
  eval: ({ node, ins, input }) => {
    const sh = perChannel(ins[0]);
    const act = (y: Float64Array) => (node.attrs.relu ? relu(y) : y);
    if (node.attrs.mode === 'eval') return [act(ref.bnApply(sh, input(0), input(3), input(4), input(1), input(2)))];
    const r = ref.bnForwardTrain(sh, input(0), input(1), input(2));
    return [act(r.y), r.mean, r.variance];
  },
};

/** [mean, var, runMean, runVar] -> [] (runMean, runVar updated in place); count = values per channel. */
export const bnRunningUpdate: OpDef<'bnRunningUpdate'> = {
  shape: ([m, v, rm, rv]) => {
    need(same(m, v) && same(m, rm) && same(m, rv), 'bnRunningUpdate: statistics shapes differ');
    return [];
  },
  backward: () => [],
  lower: async ({ gpu, node, ins, input }) => [
    await bnUpdateRunning(gpu, node.name, { n: node.attrs.count, c: ins[0][0], s: 1 }, input(0), input(1), input(2), input(3)),
  ],
  eval: ({ node, ins, input, overwrite }) => {
    const r = ref.bnUpdateRunning({ n: node.attrs.count, c: ins[0][0], s: 1 }, input(2), input(3), input(0), input(1));
    overwrite(2, r.runMean);
    overwrite(3, r.runVar);
    return [];
  },
};

export const batchNormGrad: OpDef<'batchNormGrad'> = {
  shape: ([dy, x, , , g]) => {
    need(same(dy, x), 'batchNormGrad: dy and x differ');
    return [[...x], [...g], [...g]];
  },
  backward: notDifferentiable,
  scratch: ({ ins }, tuning) => (tuning ? [bnPartialBytes(perChannel(ins[0]), tuning.bnReduce)] : []),
  lower: ({ gpu, node, ins, input, output, scratch }) =>
    bnBackward(gpu, node.name, perChannel(ins[0]), input(0), input(1), input(2), input(3), input(4), output(0), output(1), output(2), {
      partials: scratch(0),
    }),
  eval: ({ ins, input }) => {
    const r = ref.bnBackward(perChannel(ins[0]), input(0), input(1), input(2), input(3), input(4));
    return [r.dx, r.dgamma, r.dbeta];
  },
};

/** Eval-mode BN's input gradient: dx = dy * gamma / sqrt(runVar + eps) (the statistics are constants). */
export const bnEvalGradInput: OpDef<'bnEvalGradInput'> = {
  shape: ([dy, g, rv]) => {
    needPerChannel(dy, g, 'bnEvalGradInput gamma');
    needPerChannel(dy, rv, 'bnEvalGradInput running_var');
    return [[...dy]];
  },
  backward: notDifferentiable,
  lower: async ({ gpu, node, ins, input, output }) => [
    await bnEvalGradKernel(gpu, node.name, perChannel(ins[0]), input(0), input(1), input(2), output(0)),
  ],
  eval: ({ ins, input }) => [ref.bnEvalGradInput(perChannel(ins[0]), input(0), input(1), input(2))],
};
