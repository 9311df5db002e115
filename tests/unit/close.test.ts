// The test comparisons themselves (tests/support/close.ts): NaN anywhere fails, wherever it sits.
import { describe, expect, test } from 'vitest';
import { checkGradient, expectClose, expectMaxClose, within } from '../support/close';

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
