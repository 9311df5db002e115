// The fully connected layer y = x W^T + b (torch.nn.Linear: x [N, C], W [K, C]) and its two gradients, each
// one GEMM (kernels/gemm.ts linear*Strides; reference/gemm.ts). The bias gradient is biasGrad (pool.ts).
import { gemm, linearForwardStrides, linearGradInputStrides, linearGradWeightStrides } from '../../kernels/gemm';
import * as ref from '../../reference/gemm';
import { fmt, need } from '../shapes';
import { notDifferentiable, type OpDef } from './types';

export const linear: OpDef<'linear'> = {
  shape: ([x, w, b]) => {
    need(x.length === 2 && w.length === 2 && x[1] === w[1], `linear: x ${fmt(x)} and w ${fmt(w)} do not fit`);
    need(!!b && b.length === 1 && b[0] === w[0], `linear: bias must be [${w[0]}]`);
    return [[x[0], w[0]]];
  },
  backward: ({ node, dy, grad, op, needs }) => {
    const [x, w] = node.inputs;
    const d = dy[0]!;
    return [
      needs(0) ? op('linearGradInput', `${node.name}.dx`, [d, w], {}, { given: [grad(0)] })[0] : undefined,
      op('linearGradWeight', `${node.name}.dw`, [d, x], {}, { given: [grad(1)] })[0],
      op('biasGrad', `${node.name}.db`, [d], {}, { given: [grad(2)] })[0],
    ];
  },
  lower: async ({ gpu, node, ins, input, output }) => {
    const [n, cin] = ins[0];
    return [await gemm(gpu, node.name, linearForwardStrides(n, cin, ins[1][0]), input(0), input(1), output(0), input(2))];
  },
  eval: ({ ins, input }) => [ref.linear(ins[0][0], ins[0][1], ins[1][0], input(0), input(1), input(2))],
};

/** [dy, w] -> [dx] */
export const linearGradInput: OpDef<'linearGradInput'> = {
  shape: ([dy, w]) => [[dy[0], w[1]]],
  backward: notDifferentiable,
  lower: async ({ gpu, node, ins, input, output }) => {
    const [n, k] = ins[0];
    return [await gemm(gpu, node.name, linearGradInputStrides(n, ins[1][1], k), input(0), input(1), output(0))];
  },
  eval: ({ ins, input }) => {
    const [n, k] = ins[0];
    const cin = ins[1][1];
    return [ref.linearBackward(n, cin, k, input(0), new Float64Array(n * cin), input(1)).dx];
  },
};

/** [dy, x] -> [dw] */
export const linearGradWeight: OpDef<'linearGradWeight'> = {
  shape: ([dy, x]) => [[dy[1], x[1]]],
  backward: notDifferentiable,
  lower: async ({ gpu, node, ins, input, output }) => {
    const [n, k] = ins[0];
    return [await gemm(gpu, node.name, linearGradWeightStrides(n, ins[1][1], k), input(0), input(1), output(0))];
  },
  eval: ({ ins, input }) => {
    const [n, k] = ins[0];
    const cin = ins[1][1];
    return [ref.linearBackward(n, cin, k, input(0), input(1), new Float64Array(k * cin)).dw];
  },
};
