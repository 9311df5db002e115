// The whole-network tests' own helpers (tests/gpu/netReference.ts): a comparison that lets a NaN through, or a
// memo that hands back a stale reference, would make those tests pass for the wrong reason.
import { describe, expect, test } from 'vitest';
import { expectScalarClose, referenceFromState } from '../gpu/netReference';
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
