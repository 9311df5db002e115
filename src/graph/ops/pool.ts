// Global average pooling, its backward, and the per-channel sum that is every bias gradient (kernels/pool.ts;
// reference/pool.ts). Tensors are viewed per channel as [N, C, S].
import { avgPool as avgPoolKernel, avgPoolBackward, channelSum } from '../../kernels/pool';
import * as ref from '../../reference/pool';
import { perChannel } from '../../geometry';
import { fmt, need } from '../shapes';
import { notDifferentiable, type OpDef } from './types';

export const avgPool: OpDef<'avgPool'> = {
  shape: ([x]) => {
    need(x.length === 4, `avgPool wants NCHW, got ${fmt(x)}`);
    return [[x[0], x[1]]];
  },
  backward: ({ node, dy, grad, op }) => [op('avgPoolGrad', `${node.name}.dx`, [dy[0]!], {}, { given: [grad(0)] })[0]],
  lower: async ({ gpu, node, ins, input, output }) => {
    const p = perChannel(ins[0]);
    return [await avgPoolKernel(gpu, node.name, p.n, p.c, p.s, input(0), output(0))];
  },
  eval: ({ ins, input }) => {
    const p = perChannel(ins[0]);
    return [ref.avgPool(p.n, p.c, p.s, input(0))];
  },
};

/** [dy] -> [dx], dx given (the pooled input's shape). */
export const avgPoolGrad: OpDef<'avgPoolGrad'> = {
  shape: () => null,
  backward: notDifferentiable,
  lower: async ({ gpu, node, outs, input, output }) => {
    const p = perChannel(outs[0]);
    return [await avgPoolBackward(gpu, node.name, p.n, p.c, p.s, input(0), output(0))];
  },
  eval: ({ outs, input }) => {
    const p = perChannel(outs[0]);
    return [ref.avgPoolBackward(p.n, p.c, p.s, input(0))];
  },
};

/** [dy] -> [db]: the sum over all but the channel axis (conv and fc biases). */
export const biasGrad: OpDef<'biasGrad'> = {
  shape: ([dy]) => [[dy[1]]],
  backward: notDifferentiable,
  lower: async ({ gpu, node, ins, input, output }) => [await channelSum(gpu, node.name, perChannel(ins[0]), input(0), output(0))],
  eval: ({ ins, input }) => [ref.channelSum(perChannel(ins[0]), input(0))],
};
