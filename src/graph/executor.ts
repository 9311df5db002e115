// Compiles a static graph once: plans activation memory by liveness, creates the slot buffers, lowers every
// node to prepared dispatches (the op table's lowering rules, ops/*.ts). A step then only records those
// dispatches (in node order, for the phases asked for) into a compute pass: nothing is created per step.
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import { record, type BufferRef, type Dispatch } from '../kernels/kernel';
import type { Graph, Node, Phase, Tensor } from './ir';
import { nodeShapes, nodeTuning, opOf, scratchBytes } from './ops';
import type { Profiler } from '../gpu/profiler';
import { assignSlots, graphLifetimes, type SlotPlan } from './planner';

/** A node and the dispatches it was lowered to (each with its modelled cost). */
export interface LoweredNode {
  node: Node;
  dispatches: readonly Dispatch[];
}

export interface CompiledGraph {
  graph: Graph;
  plan: SlotPlan;
  /** Every node in execution order with its dispatches (the cost model reads them). */
  lowered: readonly LoweredNode[];
  /** The buffer (slot or persistent) of every tensor that has one. */
  refs: Map<number, BufferRef>;
  /** Records the dispatches of the given phases, in node order. */
  record(pass: GPUComputePassEncoder, phases: ReadonlySet<Phase>): void;
  dispatchCount(phases: ReadonlySet<Phase>): number;
  /** Like record, but one timestamped pass per node (benchmarks). */
  recordProfiled(enc: GPUCommandEncoder, phases: ReadonlySet<Phase>, profiler: Profiler): void;
  destroy(): void;
}

/**
 * `persistent` returns the buffer of every non-activation tensor (inputs, parameters, statistics, gradients,
 * metrics). Tensors in `keep` stay valid after the step (results read back later).
 */
export async function compileGraph(
  gpu: Gpu,
  graph: Graph,
  label: string,
  persistent: (t: Tensor) => BufferRef,
  keep: ReadonlySet<number> = new Set(),
): Promise<CompiledGraph> {
  const nodes = graph.nodes;
  // Each node lowers with its own tuning where the autotuner chose one for its layer (gpu.layers); kernels only
  // ever read the gpu.tuning they are given.
  const gpuOf = (n: Node): Gpu => {
    const t = nodeTuning(gpu, graph, n);
    return t === gpu.tuning ? gpu : { ...gpu, tuning: t };
  };
  const lifetimes = graphLifetimes(graph, nodes, (n) => scratchBytes(graph, n, nodeTuning(gpu, graph, n)), keep);
  const plan = assignSlots(lifetimes);
  // Each slot is labelled by its largest tenant, so a size error names the tensor that does not fit.
  const biggest = new Map<number, { key: string; bytes: number }>();
  for (const l of lifetimes) {
    const s = plan.slotOf.get(l.key)!;
    if ((biggest.get(s)?.bytes ?? -1) < l.bytes) biggest.set(s, l);
  }
  const tenantName = (key: string) => {
    const m = /^scratch:(\d+):/.exec(key);
    return m ? `${graph.nodes[Number(m[1])].name} (scratch)` : graph.tensors[Number(key)].name;
  };
  const slots: GPUBuffer[] = [];
  try {
    plan.slotBytes.forEach((bytes, i) => slots.push(createStorage(gpu, `${label}.slot${i}[${tenantName(biggest.get(i)!.key)}]`, bytes)));
  } catch (e) {
    slots.forEach((s) => s.destroy());
    throw e;
  }
  const refs = new Map<number, BufferRef>();
  const slotRef = (key: string): BufferRef => {
    const s = plan.slotOf.get(key);
    if (s === undefined) throw new Error(`${label}: ${key} has no memory slot`);
    return { buffer: slots[s] };
  };
  for (const t of graph.tensors) {
    if (t.role === 'activation') {
      if (plan.slotOf.has(String(t.id))) refs.set(t.id, slotRef(String(t.id)));
    } else refs.set(t.id, persistent(t));
  }
  const ref = (id: number): BufferRef => {
    const r = refs.get(id);
    if (!r) throw new Error(`${label}: tensor ${graph.tensors[id].name} has no buffer`);
    return r;
  };
  const lowered: (LoweredNode & { phase: Phase; kind: string; name: string })[] = [];
  try {
    for (const node of nodes) {
      const dispatches = await opOf(node).lower({
        ...nodeShapes(graph, node),
        gpu: gpuOf(node),
        input: (i) => ref(node.inputs[i]),
        output: (i) => ref(node.outputs[i]),
        scratch: (i) => (plan.slotOf.has(`scratch:${node.id}:${i}`) ? slotRef(`scratch:${node.id}:${i}`) : undefined),
      });
      lowered.push({ node, phase: node.phase, kind: node.kind, name: node.name, dispatches });
    }
  } catch (e) {
    slots.forEach((s) => s.destroy());
    for (const l of lowered) for (const d of l.dispatches) d.uniforms?.destroy();
    throw e;
  }
  return {
    graph,
    plan,
    lowered,
    refs,
    record(pass, phases) {
      for (const l of lowered) if (phases.has(l.phase)) record(pass, l.dispatches);
    },
    recordProfiled(enc, phases, profiler) {
      for (const l of lowered) {
        if (!phases.has(l.phase) || l.dispatches.length === 0) continue;
        const pass = profiler.pass(enc, `${l.kind} ${l.name}`);
        record(pass, l.dispatches);
        pass.end();
      }
    },
    dispatchCount(phases) {
      return lowered.reduce((a, l) => a + (phases.has(l.phase) ? l.dispatches.length : 0), 0);
    },
    destroy() {
      slots.forEach((s) => s.destroy());
      // Each dispatch owns its uniform buffer (kernel.ts prepare): without this, every network built and
      // destroyed left about 200 of them to the garbage collector (tests/gpu/speedProbe.test.ts counts them).
      for (const l of lowered) for (const d of l.dispatches) d.uniforms?.destroy();
    },
  };
}
