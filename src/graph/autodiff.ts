// Reverse-mode autodiff: walks the forward nodes backwards and appends, from ONE table of rules, the nodes
// that compute every parameter's gradient. The loss node (softmaxXent) seeds its own gradient: its kernel
// writes dlogits next to the loss.
import type { GraphBuilder } from './builder';
import type { Node, OpKind } from './ir';

interface RuleCtx<K extends OpKind> {
  node: Node<K>;
  /** Gradient of each output (undefined where nothing downstream needs it). */
  dy: (number | undefined)[];
  /** Whether input i needs a gradient (the images do not). */
  needs(i: number): boolean;
  /** A fresh gradient tensor for input i (shape of that input; a parameter's gradient gets the 'gradient' role). */
  grad(i: number): number;
  /** Adds a backward node. */
  op: GraphBuilder['op'];
}

/** Returns, per input, the tensor holding its gradient contribution (undefined: none). */
type Rule<K extends OpKind> = (c: RuleCtx<K>) => (number | undefined)[];

const notDifferentiable = (c: RuleCtx<OpKind>): never => {
  throw new Error(`${c.node.name}: ${c.node.kind} has no backward rule (second derivatives and eval-mode BN are not supported)`);
};

const rules: { [K in OpKind]: Rule<K> } = {
  conv2d: ({ node, dy, grad, op, needs }) => {
    const [x, w, b] = node.inputs;
    const d = dy[0]!;
    const a = node.attrs;
    return [
      needs(0) ? op('conv2dGradInput', `${node.name}.dx`, [d, w], a, { given: [grad(0)] })[0] : undefined,
      op('conv2dGradWeight', `${node.name}.dw`, [d, x], a, { given: [grad(1)] })[0],
      b === undefined ? undefined : op('biasGrad', `${node.name}.db`, [d], {}, { given: [grad(2)] })[0],
    ];
  },
  batchNorm: (c) => {
    const { node, dy, grad, op } = c;
    if (node.attrs.mode !== 'train') return notDifferentiable(c);
    const [x, gamma] = node.inputs;
    const [y, mean, variance] = node.outputs;
    const d = node.attrs.relu ? op('reluGrad', `${node.name}.drelu`, [dy[0]!, y], {})[0] : dy[0]!;
    const outs = op('batchNormGrad', `${node.name}.dx`, [d, x, mean, variance, gamma], {}, { given: [grad(0), grad(1), grad(2)] });
    return outs;
  },
  bnRunningUpdate: () => [],
  relu: ({ node, dy, grad, op }) => [op('reluGrad', `${node.name}.dx`, [dy[0]!, node.outputs[0]], {}, { given: [grad(0)] })[0]],
  add: ({ node, dy, op }) => {
    const d = node.attrs.relu ? op('reluGrad', `${node.name}.drelu`, [dy[0]!, node.outputs[0]], {})[0] : dy[0]!;
    return [d, d];
  },
  shortcutA: ({ node, dy, grad, op }) => [op('shortcutAGrad', `${node.name}.dx`, [dy[0]!], { stride: node.attrs.stride }, { given: [grad(0)] })[0]],
  avgPool: ({ node, dy, grad, op }) => [op('avgPoolGrad', `${node.name}.dx`, [dy[0]!], {}, { given: [grad(0)] })[0]],
  linear: ({ node, dy, grad, op, needs }) => {
    const [x, w] = node.inputs;
    const d = dy[0]!;
    return [
      needs(0) ? op('linearGradInput', `${node.name}.dx`, [d, w], {}, { given: [grad(0)] })[0] : undefined,
      op('linearGradWeight', `${node.name}.dw`, [d, x], {}, { given: [grad(1)] })[0],
      op('biasGrad', `${node.name}.db`, [d], {}, { given: [grad(2)] })[0],
    ];
  },
  softmaxXent: ({ node }) => [node.outputs[1], undefined],
  conv2dGradInput: notDifferentiable,
  conv2dGradWeight: notDifferentiable,
  biasGrad: notDifferentiable,
  batchNormGrad: notDifferentiable,
  reluGrad: notDifferentiable,
  shortcutAGrad: notDifferentiable,
  avgPoolGrad: notDifferentiable,
  linearGradInput: notDifferentiable,
  linearGradWeight: notDifferentiable,
};

/**
 * Appends the backward pass for the graph's loss node to the builder's graph. Returns parameter tensor id ->
 * gradient tensor id. Inputs that no parameter influences (the images) get no gradient computed.
 */
export function appendBackward(b: GraphBuilder): Map<number, number> {
  const g = b.graph;
  const forward = g.nodes.filter((n) => n.phase === 'forward');
  const loss = forward.filter((n) => n.kind === 'softmaxXent');
  if (loss.length !== 1) throw new Error(`autodiff needs exactly one softmaxXent loss node, found ${loss.length}`);

  // Which tensors depend on a parameter (only those need gradients).
  const requires = new Set(g.tensors.filter((t) => t.role === 'param').map((t) => t.id));
  for (const n of forward) if (n.inputs.some((i) => requires.has(i))) n.outputs.forEach((o) => requires.add(o));

  // A parameter's gradient lands in its own persistent buffer, written by one node: parameters feed one node each.
  const uses = new Map<number, number>();
  for (const n of forward) for (const i of new Set(n.inputs)) uses.set(i, (uses.get(i) ?? 0) + n.inputs.filter((x) => x === i).length);
  for (const t of g.tensors) {
    if (t.role === 'param' && (uses.get(t.id) ?? 0) > 1) throw new Error(`parameter ${t.name} is used ${uses.get(t.id)} times; weight sharing is not supported`);
  }

  const gradOf = new Map<number, number>();
  const contributions = new Map<number, number>();
  const prevPhase = b.phase;
  b.phase = 'backward';
  for (const node of [...forward].reverse()) {
    const dy = node.outputs.map((o) => gradOf.get(o));
    if (node.kind !== 'softmaxXent' && dy.every((d) => d === undefined)) continue;
    if (!node.inputs.some((i) => requires.has(i))) continue;
    const grad = (i: number) => {
      const t = g.tensors[node.inputs[i]];
      const k = contributions.get(t.id) ?? 0;
      return b.tensor(k === 0 ? `${t.name}.grad` : `${t.name}.grad${k}`, t.shape, t.role === 'param' ? 'gradient' : 'activation');
    };
    const rule = rules[node.kind] as Rule<OpKind>;
    const dins = rule({ node, dy, grad, needs: (i) => requires.has(node.inputs[i]), op: b.op.bind(b) });
    dins.forEach((d, i) => {
      const x = node.inputs[i];
      if (d === undefined || !requires.has(x)) return;
      const k = contributions.get(x) ?? 0;
      contributions.set(x, k + 1);
      const prev = gradOf.get(x);
      gradOf.set(x, prev === undefined ? d : b.op('add', `${g.tensors[x].name}.gradsum${k}`, [prev, d], { relu: false })[0]);
    });
  }
  b.phase = prevPhase;
  const params = new Map<number, number>();
  for (const t of g.tensors) {
    if (t.role !== 'param') continue;
    const d = gradOf.get(t.id);
    if (d === undefined) throw new Error(`parameter ${t.name} does not influence the loss`);
    if (g.tensors[d].role !== 'gradient') throw new Error(`internal: the gradient of ${t.name} is not written to its own buffer`);
    params.set(t.id, d);
  }
  return params;
}
