// The autotuner's search space (src/tune/candidates.ts) and layer keys (nodeKey): what it may time for each layer of
// a ResNet, without a GPU.
import { describe, expect, test } from 'vitest';
import { TUNINGS } from '../../src/gpu/tuning';
import { nodeKey } from '../../src/graph/ops';
import { candidatesFor, convPass, profileCandidate } from '../../src/tune/candidates';
import { trainingGraph, tunableLayers } from '../../src/tune/autotune';

const g = trainingGraph({ arch: 'residual', depth: 20 }, 32);

describe('layer keys', () => {
  test('nodes of one shape share a key, a different shape or batch does not', () => {
    const convs = g.nodes.filter((n) => n.kind === 'conv2d');
    const keys = new Set(convs.map((n) => nodeKey(g, n)));
    // The stem, stage 1's 3x3 16->16, and per later stage its strided first convolution and the rest.
    expect(keys.size).toBe(6);
    const stage1 = convs.filter((n) => n.name.startsWith('layer1.'));
    expect(new Set(stage1.map((n) => nodeKey(g, n))).size).toBe(1);
    const other = trainingGraph({ arch: 'residual', depth: 20 }, 8);
    const c8 = other.nodes.find((n) => n.name === stage1[0].name)!;
    expect(nodeKey(other, c8)).not.toBe(nodeKey(g, stage1[0]));
    // A deeper net at the same batch has the same layer shapes: a tuning of ResNet-20 covers ResNet-56.
    const deep = trainingGraph({ arch: 'residual', depth: 56 }, 32);
    const deepKeys = new Set(deep.nodes.map((n) => nodeKey(deep, n)));
    expect(tunableLayers(g, TUNINGS.cpu, true).every((l) => deepKeys.has(l.key))).toBe(true);
  });
});

describe('candidates', () => {
  for (const reduced of [false, true])
    for (const base of ['cpu', 'gpu'] as const)
      test(`every tunable layer offers both fixed profiles' variants, each once (base ${base}${reduced ? ', reduced' : ''})`, () => {
        const layers = tunableLayers(g, TUNINGS[base], reduced);
        expect(layers.length).toBeGreaterThan(20);
        for (const l of layers) {
          const labels = l.candidates.map((c) => c.label);
          expect(new Set(labels).size, l.key).toBe(labels.length);
          for (const p of ['cpu', 'gpu'] as const) expect(profileCandidate(l.candidates, l.nodes[0], p), `${l.key} ${p}`).toBeDefined();
          const pass = convPass(l.nodes[0]);
          if (pass) expect(new Set(l.candidates.map((c) => c.tuning.conv[pass]))).toEqual(new Set(['explicit', 'implicit', 'igemm']));
        }
      });

  test('the heaviest layers come first, and ops without variants have no candidates', () => {
    const layers = tunableLayers(g, TUNINGS.cpu, true);
    expect(layers[0].nodes[0].kind.startsWith('conv2d')).toBe(true);
    for (const n of g.nodes.filter((x) => ['relu', 'add', 'shortcutA', 'avgPool', 'bnRunningUpdate'].includes(x.kind)))
      expect(candidatesFor(g, n, TUNINGS.cpu)).toEqual([]);
  });

  test('a reduced search times fewer candidates', () => {
    const count = (reduced: boolean) => tunableLayers(g, TUNINGS.cpu, reduced).reduce((a, l) => a + l.candidates.length, 0);
    expect(count(true)).toBeLessThan(count(false));
  });
});
