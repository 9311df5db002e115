// NaN-safe numeric comparisons for the tests. A check written `if (err > tol) fail()` passes when err is NaN
// (every comparison with NaN is false), so a NaN gradient or a NaN output would pass. Every check here is written
// so that NaN (and an infinite error) fails, and the message names the offending element.
import { expect } from 'vitest';

/** |got - want| <= tol; false when any of them is NaN. */
export const within = (got: number, want: number, tol: number): boolean => Math.abs(got - want) <= tol;

/** An error for the "worst element" searches below: NaN ranks above every number, so it is never hidden. */
const rank = (e: number): number => (Number.isNaN(e) ? Infinity : e);

/** |got - want| <= atol + rtol * |want| everywhere; the message names the worst element. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, { atol = 1e-5, rtol = 1e-4 } = {}): void {
  expect(got.length).toBe(want.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const excess = rank(Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i])));
    if (excess > 0 && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: got ${got[worst]}, want ${want[worst]} (atol ${atol}, rtol ${rtol}); ${want.length} elements`);
  }
}

/**
 * max |got - want| <= rel * max |want| + abs: float32 accumulation through a deep net, scaled per tensor. Any
 * non-finite value on either side fails. Returns the worst error relative to the tensor's scale (for reports).
 */
export function expectMaxClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, rel: number, abs = 1e-6): number {
  expect(got.length, name).toBe(want.length);
  let scale = 0;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i])) expect.fail(`${name}[${i}]: the reference is ${want[i]}`);
    if (!Number.isFinite(got[i])) expect.fail(`${name}[${i}]: got ${got[i]}, want ${want[i]}`);
    scale = Math.max(scale, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    if (d > worst || at < 0) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= rel * scale + abs))
    expect.fail(`${name}[${at}]: got ${got[at]}, want ${want[at]} (max error ${worst}, scale ${scale}, rel ${rel})`);
  return scale > 0 ? worst / scale : worst;
}

/**
 * One coordinate of a gradient against central differences with two step sizes. 'kink' when the two disagree (a
 * ReLU changed sign within the step, so the coordinate says nothing); else the gradient must match the finer one.
 * A NaN difference quotient fails instead of passing for a kink.
 */
export function checkGradient(what: string, grad: number, coarse: number, fine: number, tol: number): 'kink' | 'checked' {
  if (!Number.isFinite(coarse) || !Number.isFinite(fine))
    expect.fail(`${what}: finite differences ${coarse} and ${fine} (the loss is not finite)`);
  if (!within(coarse, fine, tol)) return 'kink';
  if (!within(grad, fine, tol)) expect.fail(`${what}: gradient ${grad}, finite difference ${fine} (tol ${tol})`);
  return 'checked';
}

/** How far `got` is from `want` as a whole and element by element (see expectTensorClose). */
export interface TensorError {
  /** ||got - want|| / ||want|| (Euclidean norms). */
  normRel: number;
  /** RMS of `want`: the unit of the absolute floor. */
  rms: number;
  /** The smallest floor (in units of rms) with which every |got - want| <= floor * rms + rtol * |want|. */
  floorNeeded: number;
  /** The element that needs it. */
  at: number;
}

export function tensorError(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number): TensorError {
  let dd = 0;
  let ww = 0;
  for (let i = 0; i < want.length; i++) {
    dd += (got[i] - want[i]) ** 2;
    ww += want[i] ** 2;
  }
  const rms = Math.sqrt(ww / Math.max(1, want.length));
  let floorNeeded = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const need = rank((Math.abs(got[i] - want[i]) - rtol * Math.abs(want[i])) / (rms > 0 ? rms : 1));
    if (need > floorNeeded || at < 0) {
      floorNeeded = Math.max(0, need);
      at = i;
    }
  }
  return { normRel: ww > 0 ? Math.sqrt(dd) / Math.sqrt(ww) : Math.sqrt(dd), rms, floorNeeded, at };
}

/**
 * A tensor close to its reference both as a whole and in every element: ||got - want|| <= normRel * ||want||, and
 * each |got - want| <= rtol * |want| + floor * rms(want). Unlike a bound on the largest error against the largest
 * value (expectMaxClose), a small element cannot be zero or of the wrong sign unless it is below the floor.
 * Non-finite values fail. Returns the error (for reports).
 */
export function expectTensorClose(
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: { normRel: number; rtol: number; floor: number },
): TensorError {
  expect(got.length, name).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i])) expect.fail(`${name}[${i}]: the reference is ${want[i]}`);
    if (!Number.isFinite(got[i])) expect.fail(`${name}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
  const e = tensorError(got, want, tol.rtol);
  if (!(e.normRel <= tol.normRel)) expect.fail(`${name}: relative error of the norm ${e.normRel.toExponential(2)} > ${tol.normRel}`);
  if (!(e.floorNeeded <= tol.floor))
    expect.fail(
      `${name}[${e.at}]: got ${got[e.at]}, want ${want[e.at]} (rtol ${tol.rtol} + floor ${tol.floor} x rms ${e.rms.toExponential(2)}; ` +
        `needs floor ${e.floorNeeded.toExponential(2)})`,
    );
  return e;
}
