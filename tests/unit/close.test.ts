// The test comparisons themselves (tests/support/close.ts): NaN anywhere fails, wherever it sits.
import { describe, expect, test } from 'vitest';
import { checkGradient, expectClose, expectMaxClose, expectTensorClose, within } from '../support/close';

describe('NaN-safe comparisons', () => {
  test('within: NaN in any argument is false', () => {
    expect(within(1, 1 + 1e-9, 1e-6)).toBe(true);
    expect(within(NaN, 1, 1e-6)).toBe(false);
    expect(within(1, NaN, 1e-6)).toBe(false);
    expect(within(1, 1, NaN)).toBe(false);
    expect(within(Infinity, Infinity, 1)).toBe(false);
  });

  test.each([0, 2, 4])('expectClose fails on a NaN at element %i, also when later elements are off too', (at) => {
    const want = [1, 2, 3, 4, 5];
    const got = [1, 2.1, 3, 4, 5.1]; // off by 0.1 elsewhere, so a search that forgets NaN finds another element
    got[at] = NaN;
    expect(() => expectClose(got, want, { atol: 0.2, rtol: 0 })).toThrow(new RegExp(`element ${at}: got NaN`));
    expect(() => expectClose(want, got, { atol: 0.2, rtol: 0 })).toThrow(new RegExp(`element ${at}:`));
    expect(() => expectClose([1, 2.1, 3, 4, 5.1], want, { atol: 0.2, rtol: 0 })).not.toThrow();
  });

  test.each([0, 2, 4])('expectMaxClose fails on a NaN at element %i', (at) => {
    const want = [1, 2, 3, 4, 5];
    const got = [1.01, 2, 3, 4, 5];
    expect(() => expectMaxClose('t', got, want, 0.01)).not.toThrow();
    got[at] = NaN;
    expect(() => expectMaxClose('t', got, want, 0.01)).toThrow(new RegExp(`t\\[${at}\\]: got NaN`));
    const badWant = [...want];
    badWant[at] = NaN;
    expect(() => expectMaxClose('t', want, badWant, 0.01)).toThrow(/t\[/);
  });

  test('checkGradient: a NaN gradient or difference quotient fails; disagreeing steps are a kink', () => {
    expect(checkGradient('w[0]', 0.5, 0.5, 0.5000001, 1e-6)).toBe('checked');
    expect(checkGradient('w[0]', 0.5, 0.6, 0.5, 1e-6)).toBe('kink');
    expect(() => checkGradient('w[0]', NaN, 0.5, 0.5, 1e-6)).toThrow('w[0]: gradient NaN, finite difference 0.5');
    expect(() => checkGradient('w[0]', 0.5, NaN, 0.5, 1e-6)).toThrow(/w\[0\]: finite differences NaN and 0.5/);
    expect(() => checkGradient('w[0]', 0.5, 0.5, NaN, NaN)).toThrow(/not finite/);
    expect(() => checkGradient('w[0]', 0.7, 0.5, 0.5, 1e-6)).toThrow('w[0]: gradient 0.7');
  });
});

describe('expectTensorClose', () => {
  const want = [1000, -500, 250, 0.5, -0.25, 3];
  // The norm bound loose here, so these cases test the element bound alone (in a large tensor one small element
  // barely moves the norm).
  const tol = { normRel: 1, rtol: 1e-3, floor: 2e-4 };
  test('a small element of the wrong sign fails, where a bound against the largest value passes it', () => {
    const got = want.slice();
    got[3] = -0.5;
    expect(() => expectMaxClose('t', got, want, 2e-3)).not.toThrow();
    expect(() => expectTensorClose('t', got, want, tol)).toThrow(/t\[3\]: got -0.5, want 0.5/);
  });
  test('a small element at zero fails; float32-sized errors pass', () => {
    const zero = want.slice();
    zero[4] = 0;
    expect(() => expectTensorClose('t', zero, want, tol)).toThrow(/t\[4\]/);
    const rounded = want.map((x) => x * (1 + 1e-6));
    expect(expectTensorClose('t', rounded, want, tol).normRel).toBeCloseTo(1e-6, 9);
  });
  test('a norm that is off fails even when each element is within its own tolerance', () => {
    expect(() =>
      expectTensorClose(
        't',
        want.map((x) => x * 1.0009),
        want,
        { normRel: 1e-4, rtol: 1e-3, floor: 0 },
      ),
    ).toThrow(/norm/);
  });
  test('NaN fails', () => {
    const got = want.slice();
    got[2] = NaN;
    expect(() => expectTensorClose('t', got, want, tol)).toThrow(/got NaN/);
  });
});
