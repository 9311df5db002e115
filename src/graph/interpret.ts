// Runs a graph on the CPU in float64 with the reference ops (each op's `eval` in the op table): the ground
// truth the GPU executor is tested against, and what autodiff is checked with (finite differences of the
// forward, no GPU involved).
import type { Graph, Node, Phase } from './ir';
import { nodeShapes, opOf } from './ops';

export type Values = Map<number, Float64Array>;

/**
 * Evaluates the nodes of the given phases in order; `v` holds inputs, parameters and statistics and receives every
 * result. `afterNode` sees each node's results before the next node runs (the whole-network tests adopt the GPU's
 * side of a float32 ReLU tie there: tests/gpu/netReference.ts).
 */
export function interpret(g: Graph, v: Values, phases: ReadonlySet<Phase>, afterNode?: (node: Node, v: Values) => void): Values {
  const get = (id: number) => {
    const a = v.get(id);
    if (!a) throw new Error(`interpret: ${g.tensors[id].name} has no value`);
    return a;
  };
  for (const node of g.nodes) {
    if (!phases.has(node.phase)) continue;
    const values = node.inputs.map(get);
    const outs = opOf(node).eval({
      ...nodeShapes(g, node),
      input: (i) => values[i],
      overwrite: (i, a) => v.set(node.inputs[i], a),
    });
    if (outs.length !== node.outputs.length)
      throw new Error(`interpret: ${node.name} (${node.kind}) gave ${outs.length} outputs, it has ${node.outputs.length}`);
    outs.forEach((a, k) => v.set(node.outputs[k], a));
    afterNode?.(node, v);
  }
  return v;
}
