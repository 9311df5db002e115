// Shared by the whole-network tests: seeded batches, the float64 interpreter run of a network's graph (the
// reference) and NaN-safe comparisons. No GPU here (tests/unit/netReference.test.ts runs it in Node); the GPU
// side of the checks is netCheck.ts.
import { expect } from 'vitest';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { buildNetGraph } from '../../src/model/resnet';
import { appendBackward } from '../../src/graph/autodiff';
import { interpret, type Values } from '../../src/graph/interpret';
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
}

/** The float64 interpreter run of `cfg`'s graph on `state` (every parameter and statistic by name). */
function interpretNet(
  cfg: ModelConfig,
  state: Record<string, ArrayLike<number>>,
  images: Float32Array,
  labels: Int32Array,
  bnMode: 'train' | 'eval',
  phases: readonly Phase[],
): Reference {
  const net = buildNetGraph(resolveConfig(cfg), labels.length, bnMode);
  const gradOf = bnMode === 'train' ? appendBackward(net.b) : new Map<number, number>();
  const v: Values = new Map();
  for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
  v.set(net.images, Float64Array.from(images));
  v.set(net.labels, Float64Array.from(labels));
  interpret(net.b.graph, v, new Set(phases));
  const grads: Record<string, Float64Array> = {};
  for (const p of net.params) if (gradOf.has(p.id)) grads[p.name] = v.get(gradOf.get(p.id)!)!;
  const stats: Record<string, Float64Array> = {};
  for (const p of net.states) stats[p.name] = v.get(p.id)!;
  return { loss: v.get(net.metrics)![0], correct: v.get(net.metrics)![1], logits: v.get(net.logits)!, grads, stats };
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
 */
export function referenceFromState(
  cfg: ModelConfig,
  state: Record<string, ArrayLike<number>>,
  images: Float32Array,
  labels: Int32Array,
  bnMode: 'train' | 'eval',
  phases: readonly Phase[],
): Reference {
  const key = JSON.stringify([resolveConfig(cfg), bnMode, [...phases].sort()]);
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
  const ref = interpretNet(cfg, state, images, labels, bnMode, phases);
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
