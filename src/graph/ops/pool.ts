// Global average pooling, its backward, and the per-channel sum that is every bias gradient (kernels/pool.ts;
// reference/pool.ts; tensors viewed per channel as [N, C, S]); max pooling and its backward (kernels/maxpool.ts;
// reference/maxpool.ts).
import { avgPool as avgPoolKernel, avgPoolBackward, channelSum } from '../../kernels/pool';
import { maxPool as maxPoolKernel, maxPoolBackward } from '../../kernels/maxpool';
import * as ref from '../../reference/pool';
import * as maxRef from '../../reference/maxpool';
import { maxPoolOut, maxPoolShape, perChannel } from '../../geometry';
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

export const maxPool: OpDef<'maxPool'> = {
  shape: ([x], a) => {
    need(x.length === 4, `maxPool wants NCHW, got ${fmt(x)}`);
    need(
      a.k >= 1 && a.stride >= 1 && a.pad >= 0 && 2 * a.pad <= a.k,
      `maxPool: pad ${a.pad} must be at most half the ${a.k}x${a.k} window`,
    );
    const { oh, ow } = maxPoolOut(maxPoolShape(x, a));
    need(oh > 0 && ow > 0, `maxPool: a ${a.k}x${a.k} window leaves nothing of ${fmt(x)}`);
    return [[x[0], x[1], oh, ow]];
  },
  backward: ({ node, dy, grad, op }) => [
    op('maxPoolGrad', `${node.name}.dx`, [dy[0]!, node.inputs[0]], node.attrs, { given: [grad(0)] })[0],
  ],
  lower: async ({ gpu, node, ins, input, output }) => [
    await maxPoolKernel(gpu, node.name, maxPoolShape(ins[0], node.attrs), input(0), output(0)),
  ],
  eval: ({ node, ins, input }) => [maxRef.maxPool(maxPoolShape(ins[0], node.attrs), input(0))],
};

/** [dy, x] -> [dx], dx given (x's shape). */
export const maxPoolGrad: OpDef<'maxPoolGrad'> = {
  shape: () => null,
  backward: notDifferentiable,
  lower: async ({ gpu, node, ins, input, output }) => [
    await maxPoolBackward(gpu, node.name, maxPoolShape(ins[1], node.attrs), input(0), input(1), output(0)),
  ],
  eval: ({ node, ins, input }) => [maxRef.maxPoolBackward(maxPoolShape(ins[1], node.attrs), input(0), input(1))],
};
