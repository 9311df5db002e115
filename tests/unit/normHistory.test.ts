// The Gradient-flow samples kept in a run's stored record (src/ui/lib/normHistory.ts): thinned evenly with the first
// and latest kept, names written once, and read back only when well formed.
import { describe, expect, test } from 'vitest';
import type { LayerNorms } from '../../src/train/protocol';
import { packNorms, STORED_NORM_SAMPLES, thinIndices, unpackNorms } from '../../src/ui/lib/normHistory';

const layers = ['conv1.weight', 'layer1.0.conv1.weight', 'fc.weight'];
const sample = (step: number, names = layers): LayerNorms => ({
  runId: 'r',
  step,
  layers: names,
  grad: names.map((_, i) => step + i / 10),
  weight: names.map((_, i) => 1 + i),
});

describe('thinIndices', () => {
  test('keeps everything up to the cap', () => expect(thinIndices(3, 5)).toEqual([0, 1, 2]));
  test('evenly spaced, first and last included, strictly increasing', () => {
    const k = thinIndices(200, 48);
    expect(k).toHaveLength(48);
    expect(k[0]).toBe(0);
    expect(k.at(-1)).toBe(199);
    k.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(k[i]));
  });
  test('a cap of one keeps the latest', () => expect(thinIndices(7, 1)).toEqual([6]));
});

describe('packNorms / unpackNorms', () => {
  test('200 samples come back as 48 over the whole training, the latest last', () => {
    const all = Array.from({ length: 200 }, (_, i) => sample(10 * (i + 1)));
    const packed = packNorms(all)!;
    expect(packed.layers).toEqual(layers);
    expect(packed.samples).toHaveLength(STORED_NORM_SAMPLES);
    const back = unpackNorms('r', JSON.parse(JSON.stringify(packed)))!;
    expect(back.map((s) => s.step)[0]).toBe(10);
    expect(back.at(-1)).toEqual(all.at(-1));
    expect(back.every((s) => s.layers === back[0].layers)).toBe(true); // one array, as the store shares it
  });

  test('only samples with the latest layer names are kept (a head replaced by fine-tuning)', () => {
    const packed = packNorms([sample(1, ['conv1.weight', 'fc.weight']), sample(2), sample(3)])!;
    expect(packed.samples.map((s) => s.step)).toEqual([2, 3]);
  });

  test('a record from before the history reads its single sample', () => {
    expect(unpackNorms('r', undefined, sample(40))).toEqual([sample(40)]);
  });

  test('damaged records give no samples instead of a broken chart', () => {
    expect(unpackNorms('r', { layers, samples: [{ step: 1, grad: [1], weight: [1, 2, 3] }] })).toBeUndefined();
    expect(unpackNorms('r', { layers: 'conv1', samples: [] })).toBeUndefined();
    expect(unpackNorms('r', undefined, { layers, grad: 'x', weight: [], step: 1 })).toBeUndefined();
    expect(packNorms(undefined)).toBeUndefined();
  });
});
