// What the user's own runs show, as numbers with their uncertainty, so that the readouts claim only what the data
// supports (issue 11, item 7): the plain-vs-residual training-error gap with its standard error, and how much the
// gradient shrinks from the last convolution back to the first.
import type { LayerNorms, MetricPoint } from '../../train/protocol';

/** How many of the latest steps of each run the gap is measured over. */
export const GAP_WINDOW = 50;
/** A spread needs two steps per run; with few steps the standard error is large and the verdict says so. */
const MIN_STEPS = 2;
// Option-B projection shortcuts are a side branch (normData.ts draws them apart); not on the main path.
const isShortcut = (layer: string) => /(^|\.)shortcut\./.test(layer);

export interface ErrorGap {
  /** Mean per-batch training error of each run over its last `steps` steps, in [0, 1]. */
  plain: number;
  residual: number;
  /** plain - residual, in [0, 1]: positive when the plain net trains worse. */
  gap: number;
  /** Standard error of the gap, in [0, 1]: from the spread of each run's per-batch errors in the window. */
  se: number;
  /** The steps each run contributes (the smaller of the two windows). */
  steps: number;
  /** |gap| exceeds two standard errors: the difference is more than batch-to-batch noise. */
  distinguishable: boolean;
}

function meanAndVarOfMean(errors: readonly number[]): { mean: number; varMean: number } {
  const n = errors.length;
  const mean = errors.reduce((a, b) => a + b, 0) / n;
  const ss = errors.reduce((a, e) => a + (e - mean) ** 2, 0);
  // Sample variance (n - 1) over n: the variance of the window's mean, were the batches independent draws.
  return { mean, varMean: ss / (n - 1) / n };
}

/**
 * The gap between the per-batch training errors of a plain net and its residual twin over their latest steps.
 * Each step's error is that step's batch (train-mode BN, augmented); the window's spread says how much of the gap
 * could be batch noise. A falling curve inside the window widens the spread, which errs on the side of "not
 * distinguishable yet". Undefined until each run has MIN_STEPS steps.
 */
export function errorGap(plain: readonly MetricPoint[], residual: readonly MetricPoint[], window = GAP_WINDOW): ErrorGap | undefined {
  const steps = Math.min(window, plain.length, residual.length);
  if (steps < MIN_STEPS) return undefined;
  const errs = (pts: readonly MetricPoint[]) => pts.slice(-steps).map((p) => 1 - p.trainAcc);
  const p = meanAndVarOfMean(errs(plain));
  const r = meanAndVarOfMean(errs(residual));
  const gap = p.mean - r.mean;
  const se = Math.sqrt(p.varMean + r.varMean);
  return { plain: p.mean, residual: r.mean, gap, se, steps, distinguishable: Math.abs(gap) > 2 * se };
}

export interface GradientSpan {
  /** Gradient norm of the first convolution over that of the last one on the main path (the fc layer excluded). */
  ratio: number;
  first: string;
  last: string;
  step: number;
}

/**
 * How the gradient norm changes from the last convolution back to the first in one sample. Vanishing gradients
 * would show as a ratio far below 1 (orders of magnitude); with BatchNorm it stays near 1 (He et al. 2015, sec. 4.1).
 * Undefined when the sample has fewer than two convolutions or a norm is not a positive finite number.
 */
export function gradientSpan(n: LayerNorms): GradientSpan | undefined {
  const convs = n.layers.map((name, i) => ({ name, i })).filter(({ name }) => !isShortcut(name) && !name.startsWith('fc.'));
  if (convs.length < 2) return undefined;
  const a = convs[0];
  const b = convs[convs.length - 1];
  const ratio = n.grad[a.i] / n.grad[b.i];
  if (!Number.isFinite(ratio) || !(ratio > 0)) return undefined;
  return { ratio, first: a.name, last: b.name, step: n.step };
}

/** A ratio for a caption: two digits near 1, a power of ten (1e−3×) far from it. */
export function formatRatio(r: number): string {
  if (r >= 0.1 && r < 100) return `${+r.toPrecision(2)}×`;
  return `${r.toExponential(0).replace('e-', 'e−')}×`;
}
