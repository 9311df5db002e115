// Shared by the whole-network tests: seeded batches, the float64 interpreter run of a network's graph (the
// reference) and NaN-safe comparisons. No GPU here (tests/unit/netReference.test.ts runs it in Node); the GPU
// side of the checks is netCheck.ts.
import { expect } from 'vitest';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { buildNetGraph } from '../../src/model/resnet';
import { appendBackward } from '../../src/graph/autodiff';
import { interpret, type Values } from '../../src/graph/interpret';
import type { Graph, Node } from '../../src/graph/ir';
import { nodeShapes, opOf } from '../../src/graph/ops';
import { Rng } from '../../src/util/rng';

/** `n` images of standard normal noise and uniform labels, from `seed`. */
export function batch(seed: number, n: number) {
  const rng = new Rng(seed);
  const images = new Float32Array(n * 3 * 32 * 32).map(() => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(10));
  return { images, labels };
}

export type Phase = 'forward' | 'running' | 'backward';

export interface Reference {
  loss: number;
  correct: number;
  logits: Float64Array;
  /** Parameter gradients by name (train mode with a 'backward' phase only). */
  grads: Record<string, Float64Array>;
  /** BN running statistics by name: updated where the 'running' phase ran, else as given. */
  stats: Record<string, Float64Array>;
  /** Where the GPU's ReLU outputs were given: the ties adopted from them, and how far they were from the reference. */
  relu?: { ties: ReluTie[]; error: number };
}

/** The GPU's output of every ReLU in a train graph's forward (fused into BN or the residual add), by tensor name. */
export type ReluOutputs = Map<string, Float32Array>;

/**
 * A ReLU whose float64 pre-activation is this close to zero (in units of its layer's RMS) may fall on either side
 * in float32: there the reference takes the GPU's side. The GPU's ReLU outputs agree with float64 to at most
 * 4.7e-5 of the layer's RMS (Reference.relu.error: plain-20 on Firefox/lavapipe; 1.3e-5 for ResNet-20), and the
 * checks require them within half of this band. A pre-activation of 3e-7 x RMS fell on the other side on
 * Firefox/lavapipe (layer2.1.add of ResNet-20, seed 3, second step): that one position moved conv1's weight gradient
 * by 3e-3 of its scale and 33 gradient tensors beyond their tolerance. A disagreement farther from zero fails.
 */
export const RELU_TIE = 2e-4;

export interface ReluTie {
  tensor: string;
  at: number;
  /** The float64 pre-activation, in units of the layer's RMS. */
  pre: number;
}

function preActivation(g: Graph, node: Node, v: Values): Float64Array {
  const plain = { ...node, attrs: { ...node.attrs, relu: false } } as Node;
  const values = node.inputs.map((id) => v.get(id)!);
  return opOf(plain).eval({ ...nodeShapes(g, plain), input: (i) => values[i], overwrite: () => {} })[0];
}

function rmsOf(a: ArrayLike<number>): number {
  let ss = 0;
  for (let i = 0; i < a.length; i++) ss += a[i] * a[i];
  return Math.sqrt(ss / Math.max(1, a.length));
}

/** interpret()'s afterNode: each fused ReLU's output takes the GPU's side where its pre-activation is a tie. */
function adoptGpuTies(g: Graph, gpu: ReluOutputs, found: { ties: ReluTie[]; error: number }) {
  return (node: Node, v: Values) => {
    if (node.phase !== 'forward' || !(node.attrs as { relu?: boolean }).relu) return;
    const name = g.tensors[node.outputs[0]].name;
    const y = v.get(node.outputs[0])!;
    const theirs = gpu.get(name);
    if (!theirs || theirs.length !== y.length) throw new Error(`no GPU output of ${y.length} values for ${name}`);
    const scale = rmsOf(y) || 1;
    let pre: Float64Array | undefined;
    let preScale = 1;
    for (let i = 0; i < y.length; i++) {
      if (y[i] > 0 === theirs[i] > 0) {
        found.error = Math.max(found.error, Math.abs(y[i] - theirs[i]) / scale);
        continue;
      }
      if (!pre) [pre, preScale] = [preActivation(g, node, v), 0];
      preScale ||= rmsOf(pre) || 1;
      const rel = pre[i] / preScale;
      if (!(Math.abs(rel) <= RELU_TIE))
        throw new Error(
          `${name}[${i}]: the GPU's ReLU is ${theirs[i] > 0 ? 'on' : 'off'} where the float64 pre-activation is ` +
            `${rel.toExponential(2)} of its RMS, beyond float32 rounding (${RELU_TIE})`,
        );
      y[i] = theirs[i];
      found.ties.push({ tensor: name, at: i, pre: rel });
    }
  };
}

/** Which ReLUs are on, hashed (FNV-1a, two seeds): the GPU's outputs matter to the reference only through these. */
function maskDigest(gpu: ReluOutputs): string {
  let [a, b] = [0x811c9dc5, 0x01000193 ^ 0x5bd1e995];
  for (const name of [...gpu.keys()].sort()) {
    for (const x of gpu.get(name)!) {
      const bit = x > 0 ? 1 : 0;
      a = Math.imul(a ^ bit, 0x01000193) >>> 0;
      b = Math.imul(b ^ (bit + 2), 0x01000193) >>> 0;
    }
    a = Math.imul(a ^ name.length, 0x01000193) >>> 0;
  }
  return `${a.toString(16)}.${b.toString(16)}`;
}

/** The float64 interpreter run of `cfg`'s graph on `state` (every parameter and statistic by name). */
function interpretNet(
  cfg: ModelConfig,
  state: Record<string, ArrayLike<number>>,
  images: Float32Array,
  labels: Int32Array,
  bnMode: 'train' | 'eval',
  phases: readonly Phase[],
  gpuRelu?: ReluOutputs,
): Reference {
  const net = buildNetGraph(resolveConfig(cfg), labels.length, bnMode);
  const gradOf = bnMode === 'train' ? appendBackward(net.b) : new Map<number, number>();
  const v: Values = new Map();
  for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
  v.set(net.images, Float64Array.from(images));
  v.set(net.labels, Float64Array.from(labels));
  const relu = gpuRelu && { ties: [] as ReluTie[], error: 0 };
  interpret(net.b.graph, v, new Set(phases), relu && adoptGpuTies(net.b.graph, gpuRelu, relu));
  const grads: Record<string, Float64Array> = {};
  for (const p of net.params) if (gradOf.has(p.id)) grads[p.name] = v.get(gradOf.get(p.id)!)!;
  const stats: Record<string, Float64Array> = {};
  for (const p of net.states) stats[p.name] = v.get(p.id)!;
  return { loss: v.get(net.metrics)![0], correct: v.get(net.metrics)![1], logits: v.get(net.logits)!, grads, stats, relu };
}

interface MemoEntry {
  key: string;
  state: Record<string, Float64Array>;
  images: Float32Array;
  labels: Int32Array;
  ref: Reference;
}
const memo: MemoEntry[] = [];
const sameValues = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.prototype.every.call(a, (x: number, i: number) => x === b[i]);

/**
 * referenceFromState's answer for the same config, mode, phases, state, images and labels (compared value by
 * value) is kept for the next few calls: a ResNet-20 interpreter run takes ~10 s on a loaded 2-core machine, and
 * several tests (both tuning profiles, the first train step) ask for the same one. Treat the result as read-only.
 * `gpuRelu`: the GPU's ReLU outputs on this state and batch, whose side the reference takes at float32 ties.
 */
export function referenceFromState(
  cfg: ModelConfig,
  state: Record<string, ArrayLike<number>>,
  images: Float32Array,
  labels: Int32Array,
  bnMode: 'train' | 'eval',
  phases: readonly Phase[],
  gpuRelu?: ReluOutputs,
): Reference {
  const key = JSON.stringify([resolveConfig(cfg), bnMode, [...phases].sort(), gpuRelu ? maskDigest(gpuRelu) : null]);
  const names = Object.keys(state).sort();
  const hit = memo.find(
    (e) =>
      e.key === key &&
      sameValues(e.labels, labels) &&
      sameValues(e.images, images) &&
      names.join() === Object.keys(e.state).sort().join() &&
      names.every((n) => sameValues(e.state[n], state[n])),
  );
  if (hit) return hit.ref;
  const ref = interpretNet(cfg, state, images, labels, bnMode, phases, gpuRelu);
  const copy: Record<string, Float64Array> = {};
  for (const n of names) copy[n] = Float64Array.from(state[n]);
  memo.unshift({ key, state: copy, images: images.slice(), labels: labels.slice(), ref });
  memo.length = Math.min(memo.length, 8);
  return ref;
}

/** |got - want| <= rel * max(1, |want|); NaN fails. Returns the relative error. */
export function expectScalarClose(name: string, got: number, want: number, rel: number): number {
  const err = Math.abs(got - want) / Math.max(1, Math.abs(want));
  if (!Number.isFinite(want) || !(err <= rel)) expect.fail(`${name}: got ${got}, want ${want} (rel ${rel})`);
  return err;
}
