// Learning-rate schedules: the paper's step schedule, cosine, constant; each with an optional linear warm-up.
// `step` is the 0-based index of the SGD step about to be taken; `totalSteps` is the length of the run.
//   step:     lr, divided by 10 at 50% and 75% of the run (the paper's 32k and 48k of 64k iterations)
//   cosine:   lr * (1 + cos(pi * t)) / 2, t running from 0 at the end of the warm-up to 1 at the last step
//   constant: lr
//   warm-up:  for step < warmupSteps, a straight line from warmupLr (at step 0) towards lr (reached at
//             step warmupSteps); warmupLr defaults to lr / 10 (the paper's 0.01 for 0.1 on ResNet-110).
import type { RunConfig } from './protocol';

export type ScheduleConfig = Pick<RunConfig, 'lr' | 'schedule' | 'warmupSteps' | 'warmupLr'>;

export function learningRate(c: ScheduleConfig, step: number, totalSteps: number): number {
  const warm = Math.max(0, Math.floor(c.warmupSteps));
  if (step < warm) {
    const from = c.warmupLr ?? c.lr / 10;
    return from + ((c.lr - from) * step) / warm;
  }
  const total = Math.max(1, totalSteps);
  switch (c.schedule) {
    case 'constant':
      return c.lr;
    case 'step':
      return step >= 0.75 * total ? c.lr / 100 : step >= 0.5 * total ? c.lr / 10 : c.lr;
    case 'cosine': {
      const span = Math.max(1, total - 1 - warm);
      const t = Math.min(1, Math.max(0, (step - warm) / span));
      return (c.lr * (1 + Math.cos(Math.PI * t))) / 2;
    }
    default:
      return c.schedule satisfies never;
  }
}

/** Steps in one epoch over `count` images at `batch` (the last partial batch is dropped; at least 1). */
export const stepsPerEpoch = (count: number, batch: number) => Math.max(1, Math.floor(count / batch));

/** The paper's run length (64k iterations) when a config gives neither steps nor epochs. */
export const DEFAULT_STEPS = 64_000;

/** Length of a run in steps: `steps` wins over `epochs`. */
export function totalSteps(c: Pick<RunConfig, 'steps' | 'epochs' | 'batchSize'>, trainCount: number): number {
  if (c.steps !== undefined && c.steps > 0) return Math.floor(c.steps);
  if (c.epochs !== undefined && c.epochs > 0) return Math.max(1, Math.round(c.epochs * stepsPerEpoch(trainCount, c.batchSize)));
  return DEFAULT_STEPS;
}
