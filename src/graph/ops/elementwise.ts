// ReLU (kernels/relu.ts; reference/relu.ts) and the residual add, optionally fused with the ReLU after it
// (kernels/residual.ts; reference/residual.ts).
import { reluBackward, reluForward } from '../../kernels/relu';
import { add as addKernel } from '../../kernels/residual';
import * as reluRef from '../../reference/relu';
import * as residualRef from '../../reference/residual';
import { numel } from '../ir';
import { fmt, need, same } from '../shapes';
import { notDifferentiable, type OpDef } from './types';

export const relu: OpDef<'relu'> = {
  shape: ([x]) => [[...x]],
  backward: ({ node, dy, grad, op }) => [op('reluGrad', `${node.name}.dx`, [dy[0]!, node.outputs[0]], {}, { given: [grad(0)] })[0]],
  lower: async ({ gpu, node, ins, input, output }) => [await reluForward(gpu, node.name, numel(ins[0]), input(0), output(0))],
  eval: ({ input }) => [reluRef.relu(input(0))],
};

/** [dy, y] -> [dx], y the forward output. */
export const reluGrad: OpDef<'reluGrad'> = {
  shape: ([dy, y]) => {
    need(same(dy, y), 'reluGrad: dy and y differ');
    return [[...dy]];
  },
  backward: notDifferentiable,
  lower: async ({ gpu, node, ins, input, output }) => [await reluBackward(gpu, node.name, numel(ins[0]), input(0), input(1), output(0))],
  eval: ({ input }) => [reluRef.reluBackward(input(0), input(1))],
};

export const add: OpDef<'add'> = {
  shape: ([x, y]) => {
    need(same(x, y), `add: shapes ${fmt(x)} and ${fmt(y)} differ`);
    return [[...x]];
  },
  backward: ({ node, dy, op }) => {
    const d = node.attrs.relu ? op('reluGrad', `${node.name}.drelu`, [dy[0]!, node.outputs[0]], {})[0] : dy[0]!;
    return [d, d];
  },
  lower: async ({ gpu, node, ins, input, output }) => [
    await addKernel(gpu, node.name, numel(ins[0]), input(0), input(1), output(0), { relu: node.attrs.relu }),
  ],
  eval: ({ node, input }) => [(node.attrs.relu ? residualRef.addRelu : residualRef.add)(input(0), input(1))],
};
