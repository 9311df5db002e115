// Reverse-mode autodiff: walks the forward nodes backwards and appends, from the op table's backward rules
// (ops/*.ts), the nodes that compute every parameter's gradient. The loss node (softmaxXent) seeds its own
// gradient: its kernel writes dlogits next to the loss.
//
// Activation recomputation (optional): the forward pass is cut into segments at the given checkpoint tensors.
// Right before a segment's backward nodes, a copy of its forward nodes (phase 'backward', names `<name>.re`)
// recomputes its activations from the segment's input, and its backward rules read those copies. The forward
// activations inside a segment are then dead once the forward pass has moved on, so the planner (liveness) keeps
// only the checkpoints plus one segment's activations: with segments of ~sqrt(blocks) blocks, peak memory grows
// like sqrt(depth), for one extra forward pass of every segment but the last.
import type { GraphBuilder } from './builder';
import type { Node } from './ir';
import { opOf } from './ops';

export interface BackwardOptions {
  /**
   * Forward tensors that end a segment (e.g. the output of every k-th residual block), in forward order. Every
   * segment but the last (the one holding the loss) is recomputed in the backward pass. Empty/absent: none.
   */
  checkpoints?: readonly number[];
  /** 'input': the gradient of the loss with respect to the images (saliency) instead of the parameters'. */
  wrt?: 'params' | 'input';
  /**
   * wrt 'params': only these parameters get gradients; the others are constants, and the backward pass stops where
   * nothing upstream needs one (head-only fine-tuning: fc's gradients, no backward through the backbone). Absent: all.
   */
  params?: ReadonlySet<number>;
}

/**
 * Appends the backward pass for the graph's loss node to the builder's graph. Returns parameter tensor id ->
 * gradient tensor id (every parameter, or those of `params`). Inputs that no parameter influences (the images) get no gradient computed. With
 * `wrt: 'input'`, the other way round: input tensor id -> its gradient, and no parameter gradients.
 */
export function appendBackward(b: GraphBuilder, opts: BackwardOptions = {}): Map<number, number> {
  const wrtInput = opts.wrt === 'input';
  const g = b.graph;
  const forward = g.nodes.filter((n) => n.phase === 'forward');
  const loss = forward.filter((n) => n.kind === 'softmaxXent');
  if (loss.length !== 1) throw new Error(`autodiff needs exactly one softmaxXent loss node, found ${loss.length}`);

  // Which tensors depend on a parameter (only those need gradients).
  // wrt 'input' (saliency): the gradient of the loss with respect to the images only, no parameter gradients.
  const trained = (id: number) => wrtInput || !opts.params || opts.params.has(id);
  const requires = new Set(g.tensors.filter((t) => t.role === (wrtInput ? 'input' : 'param') && trained(t.id)).map((t) => t.id));
  for (const n of forward) if (n.inputs.some((i) => requires.has(i))) n.outputs.forEach((o) => requires.add(o));

  // A parameter's gradient lands in its own persistent buffer, written by one node: parameters feed one node each.
  const uses = new Map<number, number>();
  for (const n of forward) for (const i of new Set(n.inputs)) uses.set(i, (uses.get(i) ?? 0) + n.inputs.filter((x) => x === i).length);
  for (const t of g.tensors) {
    if (t.role === 'param' && (uses.get(t.id) ?? 0) > 1)
      throw new Error(`parameter ${t.name} is used ${uses.get(t.id)} times; weight sharing is not supported`);
  }

  // Segments: forward node id -> segment index; a segment ends at the node that writes a checkpoint.
  const cuts = new Set(opts.checkpoints ?? []);
  const segmentOf = new Map<number, number>();
  const segments: Node[][] = [[]];
  for (const n of forward) {
    segmentOf.set(n.id, segments.length - 1);
    segments[segments.length - 1].push(n);
    if (n.outputs.some((o) => cuts.has(o))) segments.push([]);
  }
  const last = segments.length - 1;
  if (segments[last].length === 0) throw new Error('autodiff: the last checkpoint must come before the loss');
  const recomputed = new Map<number, number>(); // forward tensor -> its recomputed copy
  const done = new Set<number>();
  const recompute = (s: number) => {
    done.add(s);
    for (const n of segments[s]) {
      const ins = n.inputs.map((i) => recomputed.get(i) ?? i);
      const given = n.outputs.map((o) => {
        const t = g.tensors[o];
        if (t.role !== 'activation')
          throw new Error(`autodiff: ${n.name} writes ${t.name} (${t.role}); only activations can be recomputed`);
        return b.tensor(`${t.name}.re`, t.shape, 'activation', t.dtype);
      });
      b.op(n.kind, `${n.name}.re`, ins, n.attrs, { given });
      n.outputs.forEach((o, k) => recomputed.set(o, given[k]));
    }
  };

  const gradOf = new Map<number, number>();
  const contributions = new Map<number, number>();
  const prevPhase = b.phase;
  b.phase = 'backward';
  for (const fwd of [...forward].reverse()) {
    const dy = fwd.outputs.map((o) => gradOf.get(o));
    if (fwd.kind !== 'softmaxXent' && dy.every((d) => d === undefined)) continue;
    if (!fwd.inputs.some((i) => requires.has(i))) continue;
    const s = segmentOf.get(fwd.id)!;
    if (s !== last && !done.has(s)) recompute(s);
    // The backward rule reads the recomputed tensors; gradients stay keyed by the forward tensors.
    const node =
      s === last
        ? fwd
        : { ...fwd, inputs: fwd.inputs.map((i) => recomputed.get(i) ?? i), outputs: fwd.outputs.map((o) => recomputed.get(o) ?? o) };
    const grad = (i: number) => {
      const t = g.tensors[fwd.inputs[i]];
      const k = contributions.get(t.id) ?? 0;
      // wrt 'input': rules may still emit parameter gradients; they go to activations, pruned below as unused
      return b.tensor(
        k === 0 ? `${t.name}.grad` : `${t.name}.grad${k}`,
        t.shape,
        t.role === 'param' && !wrtInput ? 'gradient' : 'activation',
      );
    };
    const dins = opOf(node).backward({ node, dy, grad, needs: (i) => requires.has(fwd.inputs[i]), op: b.op.bind(b) });
    dins.forEach((d, i) => {
      const x = fwd.inputs[i];
      if (d === undefined || !requires.has(x)) return;
      const k = contributions.get(x) ?? 0;
      contributions.set(x, k + 1);
      const prev = gradOf.get(x);
      gradOf.set(x, prev === undefined ? d : b.op('add', `${g.tensors[x].name}.gradsum${k}`, [prev, d], { relu: false })[0]);
    });
  }
  b.phase = prevPhase;
  if (wrtInput) {
    const inputs = new Map<number, number>();
    for (const t of g.tensors) if (t.role === 'input' && gradOf.has(t.id)) inputs.set(t.id, gradOf.get(t.id)!);
    // Drop the backward nodes nothing needs (parameter gradients), then number the nodes by position again.
    const needed = new Set(inputs.values());
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i];
      if (n.phase !== 'backward') continue;
      if (n.outputs.some((o) => needed.has(o))) n.inputs.forEach((x) => needed.add(x));
      else g.nodes.splice(i, 1);
    }
    g.nodes.forEach((n, i) => (n.id = i));
    return inputs;
  }
  const params = new Map<number, number>();
  for (const t of g.tensors) {
    if (t.role !== 'param' || !trained(t.id)) continue;
    const d = gradOf.get(t.id);
    if (d === undefined) throw new Error(`parameter ${t.name} does not influence the loss`);
    if (g.tensors[d].role !== 'gradient') throw new Error(`internal: the gradient of ${t.name} is not written to its own buffer`);
    params.set(t.id, d);
  }
  return params;
}
