// The memory planner: tenants of one slot never live at the same time, every slot holds its largest tenant,
// and on a real network the plan is far below one buffer per tensor.
import { describe, expect, test } from 'vitest';
import { assignSlots, graphLifetimes, type Lifetime } from '../../src/graph/planner';
import type { Graph, Node } from '../../src/graph/ir';
import { scratchBytesForTest } from './plannerScratch';
import { buildNetGraph } from '../../src/model/resnet';
import { resolveConfig } from '../../src/model/config';
import { appendBackward } from '../../src/graph/autodiff';
import { Rng } from '../../src/util/rng';

function checkPlan(lifetimes: Lifetime[]) {
  const plan = assignSlots(lifetimes);
  const bySlot = new Map<number, Lifetime[]>();
  for (const t of lifetimes) {
    const s = plan.slotOf.get(t.key);
    expect(s, `${t.key} has a slot`).toBeDefined();
    expect(plan.slotBytes[s!]).toBeGreaterThanOrEqual(t.bytes);
    bySlot.set(s!, [...(bySlot.get(s!) ?? []), t]);
  }
  for (const [slot, ts] of bySlot)
    for (let i = 0; i < ts.length; i++)
      for (let j = i + 1; j < ts.length; j++) {
        const overlap = ts[i].start <= ts[j].end && ts[j].start <= ts[i].end;
        if (overlap)
          expect.fail(
            `slot ${slot}: ${ts[i].key} [${ts[i].start},${ts[i].end}] and ${ts[j].key} [${ts[j].start},${ts[j].end}] are live together`,
          );
      }
  expect(plan.peakBytes).toBe(plan.slotBytes.reduce((a, b) => a + b, 0));
  expect(plan.peakBytes).toBeLessThanOrEqual(plan.naiveBytes);
  return plan;
}

/**
 * Runs the node list against the plan's slots as a memory would: each output (and scratch) overwrites its slot,
 * and every read must find the tensor the reader expects still there. Lifetimes come from the node list itself,
 * not from graphLifetimes, so a planner that ends a tensor's life before its last reader fails here.
 */
function checkExecution(g: Graph, nodes: readonly Node[], scratch: (n: Node) => number[], keep: ReadonlySet<number> = new Set()) {
  const plan = checkPlan(graphLifetimes(g, nodes, scratch, keep));
  const planned = (t: number) => g.tensors[t].role === 'activation';
  const holds = new Map<number, string>();
  const read = (t: number, by: string) => {
    if (!planned(t)) return;
    const slot = plan.slotOf.get(String(t));
    expect(slot, `tensor ${t} read by ${by} has a slot`).toBeDefined();
    expect(holds.get(slot!), `tensor ${t} read by ${by}: its slot was overwritten`).toBe(String(t));
  };
  nodes.forEach((n) => {
    for (const t of n.inputs) read(t, n.name);
    scratch(n).forEach((bytes, k) => {
      if (bytes > 0) holds.set(plan.slotOf.get(`scratch:${n.id}:${k}`)!, `scratch:${n.id}:${k}`);
    });
    for (const t of n.outputs) if (planned(t)) holds.set(plan.slotOf.get(String(t))!, String(t));
  });
  for (const t of keep) read(t, 'the caller after the step');
  return plan;
}

describe('assignSlots', () => {
  test('property: random lifetimes never share a slot while both are live', () => {
    const rng = new Rng(42);
    for (let trial = 0; trial < 300; trial++) {
      const steps = 1 + rng.int(40);
      const lifetimes: Lifetime[] = Array.from({ length: 1 + rng.int(60) }, (_, i) => {
        const start = rng.int(steps);
        return { key: `t${i}`, bytes: 4 * (1 + rng.int(1000)), start, end: start + rng.int(steps - start) };
      });
      checkPlan(lifetimes);
    }
  });

  test('property: random graphs (chains with skip connections), run against their plan: every read finds its tensor', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 100; trial++) {
      // A random DAG: node i reads 1-3 earlier tensors, writes one.
      const nTensors = 2 + rng.int(30);
      const tensors = Array.from({ length: nTensors }, (_, id) => ({
        id,
        name: `t${id}`,
        shape: [1 + rng.int(64)],
        dtype: 'f32' as const,
        role: id === 0 ? ('input' as const) : ('activation' as const),
      }));
      const nodes = tensors.slice(1).map((t, i) => ({
        id: i,
        kind: 'relu' as const,
        name: `n${i}`,
        phase: 'forward' as const,
        inputs: Array.from({ length: 1 + rng.int(3) }, () => rng.int(t.id)),
        outputs: [t.id],
        attrs: {},
      }));
      const g = { tensors, nodes };
      // The same scratch sizes for planning and for the simulated run.
      const sizes = new Map(nodes.map((n) => [n.id, scratchBytesForTest(n.id, rng)]));
      const keep = new Set(rng.next() < 0.5 ? [1 + rng.int(nTensors - 1)] : []);
      checkExecution(g, nodes, (n) => sizes.get(n.id)!, keep);
    }
  });

  test('a result kept after the step is never overwritten', () => {
    const plan = assignSlots([
      { key: 'logits', bytes: 40, start: 1, end: 9 },
      { key: 'late', bytes: 40, start: 5, end: 6 },
    ]);
    expect(plan.slotOf.get('logits')).not.toBe(plan.slotOf.get('late'));
  });
});

test('ResNet-110 training graph at batch 128: planned activations at least 2x below naive', () => {
  const net = buildNetGraph(resolveConfig({ arch: 'residual', depth: 110 }), 128, 'train');
  appendBackward(net.b);
  const g = net.b.graph;
  const plan = checkExecution(g, g.nodes, () => [], new Set([net.logits]));
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(
    `ResNet-110 b128 activations: planned ${mib(plan.peakBytes)} MiB in ${plan.slotBytes.length} slots, naive ${mib(plan.naiveBytes)} MiB`,
  );
  expect(plan.naiveBytes / plan.peakBytes).toBeGreaterThan(2);
});
