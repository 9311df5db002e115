// Static cost model of a compiled step: the FLOPs and storage traffic every dispatch declared when it was
// built (Dispatch.cost, modelled in src/kernels/cost.ts), summed per step and per op kind, against a lower
// bound on traffic taken from the graph's tensors: every node reads each of its inputs once and writes each of
// its outputs once (an in-place update, the BN running statistics, counts as a read). Pure: no GPU work.
import { addCosts, type Cost } from '../kernels/cost';
import type { Dispatch } from '../kernels/kernel';
import type { LoweredNode } from '../graph/executor';
import { bytesOf, type Graph, type Node, type Phase } from '../graph/ir';

/** Work outside the graph that a step records (the SGD update), with its own lower bound. */
export interface ExtraWork {
  kind: string;
  dispatches: readonly Dispatch[];
  lowerBoundBytes: number;
}

export interface KindCost extends Cost {
  dispatches: number;
  lowerBoundBytes: number;
}

export interface StepCost extends KindCost {
  /** (bytesRead + bytesWritten) / lowerBoundBytes. */
  ratio: number;
  byKind: Record<string, KindCost>;
  /** The most loop iterations one invocation of any of the step's dispatches makes (src/kernels/loops.ts). */
  maxLoops: number;
}

/** Bytes a node must move at least: each distinct input read once, each output written once. */
export function nodeLowerBound(graph: Graph, node: Node): number {
  const tensors = new Set([...node.inputs, ...node.outputs]);
  let bytes = 0;
  for (const t of tensors) bytes += bytesOf(graph.tensors[t]);
  return bytes;
}

/** Sums the dispatches of the nodes in `phases` (and `extra`) per op kind and per step. */
export function stepCost(
  graph: Graph,
  lowered: readonly LoweredNode[],
  phases: ReadonlySet<Phase>,
  extra: readonly ExtraWork[] = [],
): StepCost {
  const byKind: Record<string, KindCost> = {};
  let maxLoops = 0;
  const add = (kind: string, dispatches: readonly Dispatch[], lowerBoundBytes: number) => {
    for (const d of dispatches) maxLoops = Math.max(maxLoops, d.loops);
    const k = (byKind[kind] ??= { flops: 0, bytesRead: 0, bytesWritten: 0, dispatches: 0, lowerBoundBytes: 0 });
    const c = addCosts(dispatches.map((d) => d.cost));
    k.flops += c.flops;
    k.bytesRead += c.bytesRead;
    k.bytesWritten += c.bytesWritten;
    k.dispatches += dispatches.length;
    k.lowerBoundBytes += lowerBoundBytes;
  };
  for (const l of lowered) if (phases.has(l.node.phase)) add(l.node.kind, l.dispatches, nodeLowerBound(graph, l.node));
  for (const e of extra) add(e.kind, e.dispatches, e.lowerBoundBytes);
  const kinds = Object.values(byKind);
  const total = { ...addCosts(kinds), dispatches: 0, lowerBoundBytes: 0 };
  for (const k of kinds) {
    total.dispatches += k.dispatches;
    total.lowerBoundBytes += k.lowerBoundBytes;
  }
  return { ...total, ratio: (total.bytesRead + total.bytesWritten) / total.lowerBoundBytes, byKind, maxLoops };
}

const mb = (bytes: number) => +(bytes / 1e6).toFixed(1);

/** A short form for one benchmark line: GFLOP, MB (10^6 bytes), and the op kinds furthest above their bound. */
export function summarise(c: StepCost, worst = 4) {
  const excess = Object.entries(c.byKind)
    .map(([kind, k]) => ({
      kind,
      mb: mb(k.bytesRead + k.bytesWritten),
      lowerBoundMb: mb(k.lowerBoundBytes),
      over: k.bytesRead + k.bytesWritten - k.lowerBoundBytes,
    }))
    .sort((a, b) => b.over - a.over)
    .slice(0, worst)
    .map(({ over: _, ...k }) => k);
  return {
    dispatches: c.dispatches,
    gflop: +(c.flops / 1e9).toFixed(2),
    mbRead: mb(c.bytesRead),
    mbWritten: mb(c.bytesWritten),
    lowerBoundMb: mb(c.lowerBoundBytes),
    ratio: +c.ratio.toFixed(2),
    maxLoops: c.maxLoops,
    excess,
  };
}
