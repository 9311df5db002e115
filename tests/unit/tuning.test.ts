import { describe, expect, test } from 'vitest';
import { flatWg, profileFor, TUNINGS, tuningFor } from '../../src/gpu/tuning';

describe('adapter tuning', () => {
  test.each([
    [{ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }, 'cpu'],
    [{ vendor: 'google', architecture: 'swiftshader' }, 'cpu'], // browsers without isFallbackAdapter
    [{ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.7, 256 bits)' }, 'cpu'],
    [{ isFallbackAdapter: true }, 'cpu'],
    [{ vendor: 'nvidia', architecture: 'ada-lovelace' }, 'gpu'],
    [{ vendor: 'apple', architecture: 'metal-3' }, 'gpu'],
    [{}, 'gpu'],
  ] as const)('%o is a %s adapter', (facts, profile) => {
    expect(profileFor(facts)).toBe(profile);
  });

  test('overrides: a profile name, or fields on top of the detected profile', () => {
    expect(tuningFor({ architecture: 'swiftshader' }, 'gpu')).toEqual(TUNINGS.gpu);
    expect(tuningFor({ architecture: 'swiftshader' }, { gemm: 'tiled' })).toEqual({ ...TUNINGS.cpu, gemm: 'tiled' });
    expect(tuningFor({}, { profile: 'cpu' })).toEqual(TUNINGS.cpu);
  });

  test('flatWg halves the workgroup until there are minGroups of them, not below 4', () => {
    const t = { ...TUNINGS.cpu, minGroups: 8 };
    expect(flatWg(t, 100_000, 64)).toBe(64);
    expect(flatWg(t, 72, 64)).toBe(8);
    expect(flatWg(t, 3, 64)).toBe(4);
    expect(flatWg(TUNINGS.gpu, 16, 256)).toBe(256);
  });
});
