// Builds a Graph node by node; every node's outputs come from its shape rule in the op table (or are given
// by the caller for gradient ops), so shapes are checked once, at build time.
import type { DType, Graph, Node, OpAttrs, OpKind, Phase, Role } from './ir';
import { ops } from './ops';
import { ShapeError } from './shapes';

export class GraphBuilder {
  readonly graph: Graph = { tensors: [], nodes: [] };
  /** Phase stamped on the nodes added from now on. */
  phase: Phase = 'forward';
  private readonly names = new Set<string>();

  tensor(name: string, shape: readonly number[], role: Role, dtype: DType = 'f32'): number {
    if (this.names.has(name)) throw new ShapeError(`tensor name '${name}' is used twice`);
    if (shape.some((d) => !Number.isInteger(d) || d < 1)) throw new ShapeError(`tensor ${name} has a bad shape [${shape}]`);
    this.names.add(name);
    const id = this.graph.tensors.length;
    this.graph.tensors.push({ id, name, shape: [...shape], dtype, role });
    return id;
  }

  shape(id: number): number[] {
    return this.graph.tensors[id].shape;
  }

  /**
   * Adds a node. Output tensors are created from the shape rule and named `${name}` (one output) or
   * `${name}.${outNames[i]}`; `given` passes existing output tensors instead (gradient ops).
   */
  op<K extends OpKind>(
    kind: K,
    name: string,
    inputs: number[],
    attrs: OpAttrs[K],
    o: { outNames?: string[]; given?: number[]; roles?: Role[] } = {},
  ): number[] {
    const ins = inputs.map((i) => this.graph.tensors[i].shape);
    let shapes: number[][] | null;
    try {
      shapes = ops[kind].shape(ins, attrs);
    } catch (e) {
      throw new ShapeError(`${name}: ${(e as Error).message}`);
    }
    let outputs: number[];
    if (o.given) outputs = o.given;
    else {
      if (!shapes) throw new ShapeError(`${name}: ${kind} needs its outputs given`);
      outputs = shapes.map((s, i) =>
        this.tensor(shapes.length === 1 && !o.outNames ? name : `${name}.${o.outNames?.[i] ?? i}`, s, o.roles?.[i] ?? 'activation'),
      );
    }
    if (shapes && o.given) {
      shapes.forEach((s, i) => {
        const t = this.graph.tensors[outputs[i]];
        if (t.shape.join() !== s.join()) throw new ShapeError(`${name}: output ${t.name} is [${t.shape}], ${kind} makes [${s}]`);
      });
    }
    const node: Node<K> = { id: this.graph.nodes.length, kind, name, phase: this.phase, inputs, outputs, attrs };
    this.graph.nodes.push(node);
    return outputs;
  }
}
