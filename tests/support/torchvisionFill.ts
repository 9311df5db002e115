// The twin of scripts/torchvision_golden.py's weights and images: a counter hash both languages compute bit for
// bit (32-bit integer arithmetic, then one float64 division), scaled by what each tensor is and rounded to float32.
// The golden's torchvision networks are filled with these values, so ours can be filled with the same ones.
import type { StateEntry } from '../../src/model/stateLayout';

/** The value in [-1, 1) at (tensor k, element i). */
export function hashUniform(seed: number, k: number, i: number): number {
  let h = (Math.imul(k + 1, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77) ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return (h / 2 ** 32) * 2 - 1;
}

/** He-scaled convolutions, 1/sqrt(fan-in) fc, BN gamma near 1, biases and means near 0, variances in [0.5, 1.5). */
export function fillValue(name: string, shape: readonly number[], u: number): number {
  if (name.endsWith('running_mean') || name.endsWith('bias')) return 0.1 * u;
  if (name.endsWith('running_var')) return 1 + 0.5 * u;
  if (shape.length === 1) return 1 + 0.2 * u;
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  return u * Math.sqrt((shape.length === 4 ? 6 : 3) / fanIn);
}

/** Every tensor of a layout (torchvision's state-dict order), filled. */
export function filledState(layout: readonly StateEntry[], seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  layout.forEach((e, k) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = fillValue(e.name, e.shape, hashUniform(seed, k, i));
    out[e.name] = a;
  });
  return out;
}

/** The golden's images: n x 3 x size x size, 1.5 x the hash of tensor 100,000, as float32. */
export const filledImages = (seed: number, n: number, size: number) =>
  Float32Array.from({ length: n * 3 * size * size }, (_, i) => 1.5 * hashUniform(seed, 100_000, i));
