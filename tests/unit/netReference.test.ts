// The whole-network tests' own helpers (tests/gpu/netReference.ts): a comparison that lets a NaN through, or a
// memo that hands back a stale reference, would make those tests pass for the wrong reason.
import { describe, expect, test } from 'vitest';
import { expectScalarClose, referenceFromState, type ReluOutputs } from '../gpu/netReference';
import { interpret, type Values } from '../../src/graph/interpret';
import { expectMaxClose } from '../support/close';
import { buildNetGraph } from '../../src/model/resnet';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { initialState } from '../../src/model/init';
import { Rng } from '../../src/util/rng';

describe('expectMaxClose', () => {
  test('passes within rel * scale + abs and returns the error relative to the scale', () => {
    expect(expectMaxClose('t', [1, 2.001, -4], [1, 2, -4], 1e-3)).toBeCloseTo(0.001 / 4, 12);
  });
  test('fails beyond the tolerance, on a length mismatch, and on any NaN or infinity wherever it is', () => {
    expect(() => expectMaxClose('t', [1, 2.1, -4], [1, 2, -4], 1e-3)).toThrow(/t\[1\]/);
    expect(() => expectMaxClose('t', [1, 2], [1, 2, 3], 1)).toThrow();
    for (const at of [0, 1, 2]) {
      const got = [1, 2, 3];
      got[at] = NaN;
      expect(() => expectMaxClose('t', got, [1, 2, 3], 1), `NaN at ${at}`).toThrow(/NaN/);
      got[at] = Infinity;
      expect(() => expectMaxClose('t', got, [1, 2, 3], 1), `Infinity at ${at}`).toThrow(/Infinity/);
    }
    expect(() => expectMaxClose('t', [1, 2, 3], [1, NaN, 3], 1)).toThrow(/reference/);
  });
});

test('expectScalarClose fails on NaN on either side', () => {
  expect(expectScalarClose('s', 2.0001, 2, 1e-4)).toBeCloseTo(5e-5, 12);
  expect(() => expectScalarClose('s', NaN, 2, 1)).toThrow();
  expect(() => expectScalarClose('s', 2, NaN, 1)).toThrow();
});

test('referenceFromState: the memo answers only for the same state, batch and phases', () => {
  const cfg: ModelConfig = { arch: 'residual', depth: 8, width: 4 };
  const net = buildNetGraph(resolveConfig(cfg), 2, 'train');
  const state = initialState(net.b.graph, net.stateOrder, 1);
  const rng = new Rng(2);
  const images = new Float32Array(2 * 3 * 32 * 32).map(() => rng.normal());
  const labels = Int32Array.of(3, 7);
  const a = referenceFromState(cfg, state, images, labels, 'train', ['forward', 'backward']);
  expect(referenceFromState(cfg, state, images, labels, 'train', ['backward', 'forward'])).toBe(a);
  expect(referenceFromState(cfg, state, images, labels, 'train', ['forward', 'running', 'backward'])).not.toBe(a);
  const changed = { ...state, 'fc.bias': state['fc.bias'].map((v, i) => (i === 0 ? v + 1 : v)) };
  const b = referenceFromState(cfg, changed, images, labels, 'train', ['forward', 'backward']);
  expect(b).not.toBe(a);
  expect(b.loss).not.toBe(a.loss);
  expect(referenceFromState(cfg, state, images, Int32Array.of(3, 6), 'train', ['forward', 'backward'])).not.toBe(a);
});

describe("referenceFromState with the GPU's ReLU outputs", () => {
  const cfg: ModelConfig = { arch: 'residual', depth: 8, width: 4 };
  const net = buildNetGraph(resolveConfig(cfg), 2, 'train');
  const state = initialState(net.b.graph, net.stateOrder, 4);
  const rng = new Rng(5);
  const images = new Float32Array(2 * 3 * 32 * 32).map(() => rng.normal());
  const labels = Int32Array.of(1, 8);
  // What a GPU that computed exactly the float64 forward would return, rounded to float32.
  const v: Values = new Map();
  for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
  v.set(net.images, Float64Array.from(images));
  v.set(net.labels, Float64Array.from(labels));
  interpret(net.b.graph, v, new Set(['forward']));
  const exact = () => {
    const out: ReluOutputs = new Map();
    for (const n of net.b.graph.nodes)
      if (n.phase === 'forward' && (n.attrs as { relu?: boolean }).relu)
        out.set(net.b.graph.tensors[n.outputs[0]].name, Float32Array.from(v.get(n.outputs[0])!));
    return out;
  };

  test('agreeing outputs: no ties, the same gradients, the float32 rounding as the error', () => {
    const plain = referenceFromState(cfg, state, images, labels, 'train', ['forward', 'backward']);
    const given = referenceFromState(cfg, state, images, labels, 'train', ['forward', 'backward'], exact());
    expect(given.relu!.ties).toEqual([]);
    expect(given.relu!.error).toBeGreaterThan(0);
    // Half an ulp of float32 (6e-8) of values up to a few times their layer's RMS.
    expect(given.relu!.error).toBeLessThan(5e-7);
    for (const name of Object.keys(plain.grads)) expect(given.grads[name], name).toEqual(plain.grads[name]);
  });

  test('a ReLU on the other side far from zero is a bug, not a tie', () => {
    const out = exact();
    const [name, y] = [...out.entries()][1];
    const at = y.findIndex((x) => x > 0.1);
    y[at] = 0;
    expect(() => referenceFromState(cfg, state, images, labels, 'train', ['forward', 'backward'], out)).toThrow(
      new RegExp(`${name.replace(/\./g, '\\.')}\\[${at}\\]: the GPU's ReLU is off .* beyond float32 rounding`),
    );
  });
});
