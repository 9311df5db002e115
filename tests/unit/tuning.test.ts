import { describe, expect, test } from 'vitest';
import { flatWg, profileChoice, profileFor, TUNINGS, tuningFor } from '../../src/gpu/tuning';
import { browserOf, describeAdapter } from '../../src/gpu/gpu';

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

describe('what the page says of an adapter, and why its profile was chosen', () => {
  const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0';
  const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
  const EDGE = `${CHROME} Edg/156.0.0.0`;
  const SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15';

  test('browsers from their user agents', () => {
    expect([FIREFOX, CHROME, EDGE, SAFARI, 'Node.js/22', undefined, 'curl/8'].map(browserOf)).toEqual([
      'Firefox',
      'Chrome',
      'Edge',
      'Safari',
      'Dawn',
      undefined,
      undefined,
    ]);
  });

  test("Firefox's empty adapter info on lavapipe: a software adapter, not named, and the cpu profile because it is a fallback", () => {
    const facts = { vendor: '', architecture: '', description: '', isFallbackAdapter: true };
    expect(describeAdapter(facts, FIREFOX)).toBe('WebGPU (Firefox), software adapter, not named');
    expect(profileChoice(facts)).toEqual({ profile: 'cpu', why: 'the browser reports a fallback (software) adapter' });
  });

  test('a named software renderer, a hardware adapter, and one that names nothing and is no fallback', () => {
    const swift = { vendor: 'google', architecture: 'swiftshader' };
    expect(describeAdapter(swift, CHROME)).toBe('WebGPU (Chrome), software adapter, google swiftshader');
    expect(profileChoice(swift)).toEqual({ profile: 'cpu', why: 'the adapter names itself swiftshader, a CPU implementation' });
    const nvidia = { vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false };
    expect(describeAdapter(nvidia, EDGE)).toBe('WebGPU (Edge), nvidia ampere');
    expect(profileChoice(nvidia).profile).toBe('gpu');
    const silent = { vendor: '', architecture: '', description: '', isFallbackAdapter: false };
    expect(describeAdapter(silent, SAFARI)).toBe('WebGPU (Safari), not named');
    expect(profileChoice(silent)).toEqual({
      profile: 'gpu',
      why: 'the adapter does not name itself and is not a fallback adapter: taken for a GPU',
    });
  });
});
