// Softmax cross-entropy, the graph's loss (kernels/softmaxXent.ts; reference/softmaxXent.ts): [logits, labels]
// -> [metrics (4 floats), dlogits]. It computes its own gradient, so its backward rule only hands dlogits on.
import { softmaxXent as softmaxXentKernel } from '../../kernels/softmaxXent';
import * as ref from '../../reference/softmaxXent';
import { fmt, need } from '../shapes';
import type { OpDef } from './types';

export const softmaxXent: OpDef<'softmaxXent'> = {
  shape: ([l, y]) => {
    need(l.length === 2 && y.length === 1 && y[0] === l[0], `softmaxXent: logits ${fmt(l)} and labels ${fmt(y)} do not fit`);
    return [[4], [...l]];
  },
  backward: ({ node }) => [node.outputs[1], undefined],
  lower: async ({ gpu, node, ins, input, output }) => {
    const [n, k] = ins[0];
    return [await softmaxXentKernel(gpu, node.name, n, k, input(0), input(1), output(1), output(0))];
  },
  eval: ({ ins, input }) => {
    const r = ref.softmaxXent(ins[0][0], ins[0][1], input(0), input(1));
    return [Float64Array.of(r.loss, r.correct, 0, 0), r.dlogits];
  },
};
