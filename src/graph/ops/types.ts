// What the op table holds per op kind (OpDef), and what each of its rules is given. Every rule of kind K
// receives Node<K>, so its attributes are typed without casts.
import type { Gpu } from '../../gpu/gpu';
import type { Tuning } from '../../gpu/tuning';
import type { BufferRef, Dispatch } from '../../kernels/kernel';
import type { GraphBuilder } from '../builder';
import type { Graph, Node, OpAttrs, OpKind } from '../ir';

export type Shape = readonly number[];

/** A node with the shapes of its input and output tensors. */
export interface NodeShapes<K extends OpKind> {
  node: Node<K>;
  ins: Shape[];
  outs: Shape[];
}

export function nodeShapes<K extends OpKind>(g: Graph, node: Node<K>): NodeShapes<K> {
  return { node, ins: node.inputs.map((i) => g.tensors[i].shape), outs: node.outputs.map((o) => g.tensors[o].shape) };
}

export interface BackwardCtx<K extends OpKind> {
  node: Node<K>;
  /** Gradient of each output (undefined where nothing downstream needs it). */
  dy: (number | undefined)[];
  /** Whether input i needs a gradient (the images do not). */
  needs: (i: number) => boolean;
  /** A fresh gradient tensor for input i (shape of that input; a parameter's gradient gets the 'gradient' role). */
  grad: (i: number) => number;
  /** Adds a backward node. */
  op: GraphBuilder['op'];
}

export interface LowerCtx<K extends OpKind> extends NodeShapes<K> {
  gpu: Gpu;
  /** The buffer of input i / output i. */
  input: (i: number) => BufferRef;
  output: (i: number) => BufferRef;
  /** The node's i-th scratch buffer (sizes from OpDef.scratch; undefined where that size is 0). */
  scratch: (i: number) => BufferRef | undefined;
}

export interface EvalCtx<K extends OpKind> extends NodeShapes<K> {
  /** The float64 value of input i. */
  input: (i: number) => Float64Array;
  /** Replaces the value of input i (ops that update state in place). */
  overwrite: (i: number, value: Float64Array) => void;
}

// Function-typed properties, not methods, so that parameters are checked strictly (no method bivariance) and a
// rule may destructure them (no unbound `this`).
export interface OpDef<K extends OpKind> {
  /**
   * Output shapes from the input shapes, checked when a node is added (throw ShapeError on bad wiring), or
   * null where the caller supplies the outputs (gradients that take a forward tensor's shape).
   */
  shape: (ins: Shape[], a: OpAttrs[K]) => number[][] | null;
  /** Adds the backward nodes; returns, per input, the tensor holding its gradient contribution (undefined: none). */
  backward: (c: BackwardCtx<K>) => (number | undefined)[];
  /** The kernel dispatches that compute the node, prepared once. */
  lower: (c: LowerCtx<K>) => Promise<Dispatch[]>;
  /**
   * Bytes of scratch memory the node needs while it runs (planned by liveness like activations); absent: none.
   * Without a tuning, what the explicit reference path needs.
   */
  scratch?: (s: NodeShapes<K>, tuning?: Tuning) => number[];
  /** The outputs in float64 with the reference ops (src/reference): the ground truth the GPU is tested against. */
  eval: (c: EvalCtx<K>) => Float64Array[];
}

export const notDifferentiable = (c: BackwardCtx<OpKind>): never => {
  throw new Error(`${c.node.name}: ${c.node.kind} has no backward rule (second derivatives and eval-mode BN are not supported)`);
};
