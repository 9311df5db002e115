// What the user's own runs show, as numbers with their uncertainty, so that the readouts claim only what the data
// supports (issue 11, item 7): the plain-vs-residual training-error gap with its standard error, and how much the
// gradient shrinks from the last convolution back to the first.
import type { EvalPoint, LayerNorms, MetricPoint } from '../../train/protocol';

/** How many of the latest steps of each run the gap is measured over. */
export const GAP_WINDOW = 50;
/** A spread needs two common steps; with few steps the standard error is large and the verdict says so. */
const MIN_STEPS = 2;
// Option-B projection shortcuts are a side branch (normData.ts draws them apart); not on the main path.
const isShortcut = (layer: string) => /(^|\.)shortcut\./.test(layer);

export interface ErrorGap {
  /** Mean per-batch training error of each run over the same `steps` step numbers (the latest both have), in [0, 1]. */
  plain: number;
  residual: number;
  /** plain - residual, in [0, 1]: positive when the plain net trains worse. */
  gap: number;
  /** Standard error of the gap, in [0, 1]: from the spread of each run's per-batch errors in the window. */
  se: number;
  /** How many step numbers both runs contribute (at most the window). */
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
 * The gap between the per-batch training errors of a plain net and its residual twin over the latest steps both
 * have trained, compared at the same step numbers: a twin that is ahead (or resumed, or has lost points) is measured
 * where the other one is, not at its own last steps. Each step's error is that step's batch (train-mode BN,
 * augmented); the window's spread says how much of the gap could be batch noise. A falling curve inside the window
 * widens the spread, which errs on the side of "not distinguishable yet". Undefined until MIN_STEPS common steps.
 */
export function errorGap(plain: readonly MetricPoint[], residual: readonly MetricPoint[], window = GAP_WINDOW): ErrorGap | undefined {
  const resAt = new Map(residual.map((p) => [p.step, p.trainAcc]));
  const common = plain.filter((p) => resAt.has(p.step)).slice(-window);
  const steps = common.length;
  if (steps < MIN_STEPS) return undefined;
  const p = meanAndVarOfMean(common.map((q) => 1 - q.trainAcc));
  const r = meanAndVarOfMean(common.map((q) => 1 - resAt.get(q.step)!));
  const gap = p.mean - r.mean;
  const se = Math.sqrt(p.varMean + r.varMean);
  return { plain: p.mean, residual: r.mean, gap, se, steps, distinguishable: Math.abs(gap) > 2 * se };
}

/** The gap's window in words: the last GAP_WINDOW steps both twins trained, or all of them while there are fewer. */
export const windowWords = (steps: number) =>
  steps >= GAP_WINDOW
    ? `the last ${GAP_WINDOW} steps both runs have trained (the same step numbers)`
    : `the ${steps} steps both runs have trained so far (the same step numbers; the window grows to ${GAP_WINDOW})`;

/** The compare panel's one-line verdict on a gap: only "plain trains worse" when the data says so beyond noise. */
export function gapVerdict(g: ErrorGap | undefined): string {
  if (!g) return 'waiting for steps';
  if (!g.distinguishable) return 'not distinguishable yet';
  return g.gap > 0 ? 'plain trains worse' : 'plain ahead so far';
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

/** What a run's own numbers say about overfitting: training error late in the run against its last test error. */
export interface OverfitGap {
  /** lateTrainError: mean per-batch training error over the run's last tenth of steps (at least two), and its standard error. */
  trainErr: number;
  trainSe: number;
  /** Error of the last eval-mode test evaluation, in [0, 1], and its binomial standard error over the images it saw. */
  testErr: number;
  testSe: number;
  testStep: number;
  /** testErr - trainErr. */
  gap: number;
  /** The gap exceeds two standard errors. */
  distinguishable: boolean;
}

/**
 * A run's training error late in the run: the mean per-batch error over its last tenth of steps (at least
 * MIN_STEPS, where it has them) and that mean's standard error (undefined with a single step).
 */
export function lateTrainError(metrics: readonly Pick<MetricPoint, 'step' | 'trainAcc'>[]): { mean: number; se?: number } | undefined {
  if (metrics.length === 0) return undefined;
  const last = metrics[metrics.length - 1].step;
  const from = last - Math.max(MIN_STEPS, Math.ceil(last / 10));
  const tail = metrics.filter((p) => p.step > from);
  const errs = (tail.length >= MIN_STEPS ? tail : metrics.slice(-MIN_STEPS)).map((p) => 1 - p.trainAcc);
  if (errs.length < MIN_STEPS) return { mean: errs[0] };
  const { mean, varMean } = meanAndVarOfMean(errs);
  return { mean, se: Math.sqrt(varMean) };
}

/** Undefined until the run has two steps and one eval-mode test evaluation. */
export function overfitGap(metrics: readonly MetricPoint[], evals: readonly EvalPoint[]): OverfitGap | undefined {
  const test = evals.filter((e) => e.split === 'test' && e.bnMode === 'eval').at(-1);
  const train = lateTrainError(metrics);
  if (!test || train?.se === undefined) return undefined;
  const testErr = 1 - test.accuracy;
  const testSe = Math.sqrt((testErr * (1 - testErr)) / Math.max(1, test.images));
  const trainSe = train.se;
  const gap = testErr - train.mean;
  return {
    trainErr: train.mean,
    trainSe,
    testErr,
    testSe,
    testStep: test.step,
    gap,
    distinguishable: gap > 2 * Math.hypot(trainSe, testSe),
  };
}
