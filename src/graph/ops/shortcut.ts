// The option-A shortcut (strided identity, zero-padded channels) and its backward (kernels/shortcut.ts;
// reference/shortcut.ts).
import { shortcutA as shortcutAKernel, shortcutABackward } from '../../kernels/shortcut';
import * as ref from '../../reference/shortcut';
import { shortcutShape, type ShortcutShape } from '../../geometry';
import { fmt, need } from '../shapes';
import { notDifferentiable, type NodeShapes, type OpDef } from './types';

// The shortcut's input x is the forward node's input, and the backward node's output dx.
const forwardShape = ({ node, ins, outs }: NodeShapes<'shortcutA'>): ShortcutShape => shortcutShape(ins[0], outs[0][1], node.attrs.stride);
const backwardShape = ({ node, ins, outs }: NodeShapes<'shortcutAGrad'>): ShortcutShape =>
  shortcutShape(outs[0], ins[0][1], node.attrs.stride);

export const shortcutA: OpDef<'shortcutA'> = {
  shape: ([x], a) => {
    need(x.length === 4, `shortcutA wants NCHW, got ${fmt(x)}`);
    need(a.cout >= x[1], `shortcutA cannot shrink ${x[1]} channels to ${a.cout}`);
    return [[x[0], a.cout, Math.ceil(x[2] / a.stride), Math.ceil(x[3] / a.stride)]];
  },
  backward: ({ node, dy, grad, op }) => [
    op('shortcutAGrad', `${node.name}.dx`, [dy[0]!], { stride: node.attrs.stride }, { given: [grad(0)] })[0],
  ],
  lower: async (c) => [await shortcutAKernel(c.gpu, c.node.name, forwardShape(c), c.input(0), c.output(0))],
  eval: (c) => [ref.shortcutA(forwardShape(c), c.input(0))],
};

export const shortcutAGrad: OpDef<'shortcutAGrad'> = {
  shape: () => null,
  backward: notDifferentiable,
  lower: async (c) => [await shortcutABackward(c.gpu, c.node.name, backwardShape(c), c.input(0), c.output(0))],
  eval: (c) => [ref.shortcutABackward(backwardShape(c), c.input(0))],
};
