// The op table: per op kind, its shape rule, backward rule, GPU lowering (+ scratch bytes) and float64
// evaluation, side by side in one file per op family. The builder, autodiff, executor and interpreter are
// generic loops over this table.
//
// Adding an op touches: its WGSL (shaders/), its wrapper (src/kernels/X.ts), its reference
// (src/reference/X.ts), its table entry (OpAttrs in ../ir.ts, an OpDef in ops/<family>.ts, listed below),
// and its test (tests/gpu/X.test.ts against the reference). The type of `ops` makes the compiler demand
// every rule for every kind.
import type { Tuning, TuningSource } from '../../gpu/tuning';
import type { Graph, Node, OpKind } from '../ir';
import { batchNorm, batchNormGrad, bnEvalGradInput, bnRunningUpdate } from './batchnorm';
import { conv2d, conv2dGradInput, conv2dGradWeight } from './conv';
import { add, relu, reluGrad } from './elementwise';
import { linear, linearGradInput, linearGradWeight } from './linear';
import { softmaxXent } from './loss';
import { avgPool, avgPoolGrad, biasGrad, maxPool, maxPoolGrad } from './pool';
import { shortcutA, shortcutAGrad } from './shortcut';
import { nodeShapes, type OpDef } from './types';

export type { BackwardCtx, EvalCtx, LowerCtx, NodeShapes, OpDef } from './types';
export { nodeShapes } from './types';

export const ops: { [K in OpKind]: OpDef<K> } = {
  // forward
  conv2d,
  batchNorm,
  bnRunningUpdate,
  relu,
  add,
  shortcutA,
  avgPool,
  maxPool,
  linear,
  softmaxXent,
  // backward
  conv2dGradInput,
  conv2dGradWeight,
  biasGrad,
  batchNormGrad,
  bnEvalGradInput,
  reluGrad,
  shortcutAGrad,
  avgPoolGrad,
  maxPoolGrad,
  linearGradInput,
  linearGradWeight,
};

/** The table entry of a node's kind, typed for that kind. */
export const opOf = <K extends OpKind>(node: Node<K>): OpDef<K> => ops[node.kind];

/**
 * Scratch bytes a node needs while it runs: im2col columns (none where `tuning` runs the pass implicit) and,
 * for the weight gradient, the partial sums of a split GEMM. Without a tuning, the explicit reference path.
 */
export function scratchBytes(g: Graph, node: Node, tuning?: Tuning): number[] {
  return opOf(node).scratch?.(nodeShapes(g, node), tuning) ?? [];
}

/**
 * What identifies a layer for tuning: its op kind, attributes and tensor shapes (not its name), so the
 * 16-channel 3x3 convolutions of stage 1 share one key, and a ResNet-56 at batch 32 finds every key a ResNet-20 at
 * batch 32 was tuned for.
 */
export function nodeKey(g: Graph, node: Node): string {
  const shapes = (ids: number[]) => ids.map((i) => g.tensors[i].shape.join('x')).join(',');
  return `${node.kind} ${JSON.stringify(node.attrs)} ${shapes(node.inputs)} -> ${shapes(node.outputs)}`;
}

/** The tuning a node runs with: the autotuner's choice for its layer key, else the profile's. */
export function nodeTuning(src: TuningSource, g: Graph, node: Node): Tuning {
  return src.layers?.get(nodeKey(g, node)) ?? src.tuning;
}
