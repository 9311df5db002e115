// Convolution and its two gradients (kernels/conv.ts; reference/conv.ts). The bias gradient is biasGrad (pool.ts).
import { colElements, conv2dBackwardInput, conv2dBackwardWeight, conv2dForward, partialElements, type Pass } from '../../kernels/conv';
import * as ref from '../../reference/conv';
import type { Tuning } from '../../gpu/tuning';
import { convGeom, outSize } from '../../geometry';
import { fmt, need } from '../shapes';
import { notDifferentiable, type NodeShapes, type OpDef } from './types';

/** The explicit path's column buffer as this tuning runs the pass (without a tuning: always). */
const run = (tuning: Tuning | undefined, pass: Pass) => (tuning ? { tuning, pass } : undefined);

// Which tensors carry the image and the weight: y = conv(x, w), dx from (dy, w), dw from (dy, x).
const forwardGeom = ({ node, ins }: NodeShapes<'conv2d'>) => convGeom(ins[0], ins[1], node.attrs);
const inputGeom = ({ node, ins, outs }: NodeShapes<'conv2dGradInput'>) => convGeom(outs[0], ins[1], node.attrs);
const weightGeom = ({ node, ins, outs }: NodeShapes<'conv2dGradWeight'>) => convGeom(ins[1], outs[0], node.attrs);

export const conv2d: OpDef<'conv2d'> = {
  shape: ([x, w, b], a) => {
    need(x.length === 4 && w.length === 4, `conv2d wants x NCHW and w OIHW, got ${fmt(x)} ${fmt(w)}`);
    need(x[1] === w[1], `conv2d: input has ${x[1]} channels, weight expects ${w[1]}`);
    need(!b || (b.length === 1 && b[0] === w[0]), `conv2d: bias ${b && fmt(b)} does not match ${w[0]} output channels`);
    const oh = outSize(x[2], w[2], a.stride, a.pad);
    const ow = outSize(x[3], w[3], a.stride, a.pad);
    need(oh > 0 && ow > 0, `conv2d: empty output for input ${fmt(x)} and kernel ${fmt(w)}`);
    return [[x[0], w[0], oh, ow]];
  },
  backward: ({ node, dy, grad, op, needs }) => {
    const [x, w, b] = node.inputs;
    const d = dy[0]!;
    const a = node.attrs;
    return [
      needs(0) ? op('conv2dGradInput', `${node.name}.dx`, [d, w], a, { given: [grad(0)] })[0] : undefined,
      op('conv2dGradWeight', `${node.name}.dw`, [d, x], a, { given: [grad(1)] })[0],
      b === undefined ? undefined : op('biasGrad', `${node.name}.db`, [d], {}, { given: [grad(2)] })[0],
    ];
  },
  scratch: (s, tuning) => [colElements(forwardGeom(s), run(tuning, 'forward')) * 4],
  lower: (c) =>
    conv2dForward(
      c.gpu,
      c.node.name,
      forwardGeom(c),
      c.input(0),
      c.input(1),
      c.ins.length > 2 ? c.input(2) : undefined,
      c.scratch(0),
      c.output(0),
    ),
  eval: (c) => [ref.conv2d(forwardGeom(c), c.input(0), c.input(1), c.ins.length > 2 ? c.input(2) : undefined)],
};

export const conv2dGradInput: OpDef<'conv2dGradInput'> = {
  shape: () => null,
  backward: notDifferentiable,
  scratch: (s, tuning) => [colElements(inputGeom(s), run(tuning, 'input')) * 4],
  lower: (c) => conv2dBackwardInput(c.gpu, c.node.name, inputGeom(c), c.input(0), c.input(1), c.scratch(0), c.output(0)),
  eval: (c) => [ref.conv2dBackwardInput(inputGeom(c), c.input(0), c.input(1))],
};

export const conv2dGradWeight: OpDef<'conv2dGradWeight'> = {
  shape: () => null,
  backward: notDifferentiable,
  scratch: (s, tuning) => {
    const geom = weightGeom(s);
    // Columns, then the split-K partial sums of the weight GEMM (none without a tuning: the unsplit reference).
    return [colElements(geom, run(tuning, 'weight')) * 4, tuning ? partialElements(geom, tuning) * 4 : 0];
  },
  lower: (c) =>
    conv2dBackwardWeight(c.gpu, c.node.name, weightGeom(c), c.input(0), c.input(1), c.scratch(0), c.output(0), { partials: c.scratch(1) }),
  eval: (c) => [ref.conv2dBackwardWeight(weightGeom(c), c.input(0), c.input(1))],
};
