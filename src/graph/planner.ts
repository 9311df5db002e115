// Memory planning by liveness: every planned tensor (activations, intermediate gradients, per-node scratch
// such as im2col columns) is live from the node that writes it to the last node that reads it. Tensors whose
// lifetimes do not overlap share a slot; each slot becomes one GPU buffer as large as its largest tenant.
import { bytesOf, type Graph, type Node } from './ir';

export interface Lifetime {
  /** Caller's key (a tensor id, or a scratch key). */
  key: string;
  bytes: number;
  /** First and last step (inclusive) in execution order. */
  start: number;
  end: number;
}

export interface SlotPlan {
  slotOf: Map<string, number>;
  slotBytes: number[];
  /** Sum of slot sizes: what the plan allocates. */
  peakBytes: number;
  /** Sum of every lifetime's bytes: what one buffer per tensor would allocate. */
  naiveBytes: number;
}

/** Greedy interval colouring: walk lifetimes by start, reuse the best-fitting slot whose tenant has ended. */
export function assignSlots(lifetimes: readonly Lifetime[]): SlotPlan {
  const order = [...lifetimes].sort((a, b) => a.start - b.start || b.bytes - a.bytes);
  const slotBytes: number[] = [];
  const slotEnd: number[] = []; // last step of the slot's current tenant
  const slotOf = new Map<string, number>();
  for (const t of order) {
    if (t.end < t.start) throw new Error(`lifetime ${t.key} ends before it starts`);
    let best = -1;
    for (let s = 0; s < slotBytes.length; s++) {
      if (slotEnd[s] >= t.start) continue; // still occupied
      if (best < 0) best = s;
      else {
        const fitsS = slotBytes[s] >= t.bytes;
        const fitsB = slotBytes[best] >= t.bytes;
        // Prefer the smallest slot that fits; otherwise the largest one (it grows least).
        if ((fitsS && (!fitsB || slotBytes[s] < slotBytes[best])) || (!fitsS && !fitsB && slotBytes[s] > slotBytes[best])) best = s;
      }
    }
    if (best < 0) {
      best = slotBytes.length;
      slotBytes.push(0);
      slotEnd.push(-1);
    }
    slotBytes[best] = Math.max(slotBytes[best], t.bytes);
    slotEnd[best] = t.end;
    slotOf.set(t.key, best);
  }
  return {
    slotOf,
    slotBytes,
    peakBytes: slotBytes.reduce((a, b) => a + b, 0),
    naiveBytes: lifetimes.reduce((a, t) => a + t.bytes, 0),
  };
}

/**
 * Lifetimes of the graph's planned tensors over the execution order `nodes`, plus each node's scratch
 * (key `scratch:<node id>:<i>`). Tensors in `keep` stay live to the end (results read after the step).
 */
export function graphLifetimes(
  g: Graph,
  nodes: readonly Node[],
  scratch: (n: Node) => number[],
  keep: ReadonlySet<number> = new Set(),
): Lifetime[] {
  const start = new Map<number, number>();
  const end = new Map<number, number>();
  const out: Lifetime[] = [];
  nodes.forEach((n, i) => {
    for (const o of n.outputs) if (!start.has(o)) start.set(o, i);
    for (const t of n.inputs) end.set(t, i);
    scratch(n).forEach((bytes, k) => bytes > 0 && out.push({ key: `scratch:${n.id}:${k}`, bytes, start: i, end: i }));
  });
  for (const t of g.tensors) {
    if (t.role !== 'activation') continue;
    const s = start.get(t.id);
    if (s === undefined) continue; // not produced in this order
    const e = keep.has(t.id) ? nodes.length : Math.max(s, end.get(t.id) ?? s);
    out.push({ key: String(t.id), bytes: bytesOf(t), start: s, end: e });
  }
  return out;
}
