// The worker's side of activation recomputation: how much memory a config's training step plans, with and
// without recomputation, and which segment length a run of it uses ('auto' decides from the adapter's limits).
import type { Gpu } from '../gpu/gpu';
import { chooseRecompute, largestBatch, planTraining, sqrtEvery, type TrainingPlan } from '../runtime/memoryPlan';
import type { MemoryPlanFigures, RunConfig, WorkerEvent } from './protocol';

/**
 * Bytes a run may plan before 'auto' turns recomputation on. WebGPU does not tell how much memory the device
 * has; its largest allowed buffer does scale with it, and devices hold several such buffers, so 4x that.
 */
export const recomputeBudget = (gpu: Gpu) => 4 * gpu.limits.maxBufferSize;

/** Blocks per recomputed segment for a run of `config` on `gpu` (0: off). */
export function recomputeEveryFor(config: RunConfig, gpu: Gpu): number {
  return chooseRecompute(config.model, config.batchSize, config.recompute, recomputeBudget(gpu), gpu, config.imageSize);
}

const figures = (p: TrainingPlan): MemoryPlanFigures => ({
  every: p.every,
  activationBytes: p.activationBytes,
  persistentBytes: p.persistentBytes,
  extraForwardPct: p.forwardMacs > 0 ? (100 * p.recomputeMacs) / p.forwardMacs : 0,
});

/** The 'memoryPlan' answer for `config`. */
export function memoryPlanEvent(requestId: string, config: RunConfig, gpu: Gpu): Extract<WorkerEvent, { type: 'memoryPlan' }> {
  const used = recomputeEveryFor(config, gpu);
  const every = used > 0 ? used : typeof config.recompute === 'number' && config.recompute > 0 ? config.recompute : sqrtEvery(config.model);
  const size = config.imageSize ?? 32;
  const budget = recomputeBudget(gpu);
  return {
    type: 'memoryPlan',
    requestId,
    without: figures(planTraining(config.model, config.batchSize, 0, gpu, size)),
    with: figures(planTraining(config.model, config.batchSize, every, gpu, size)),
    usedEvery: used,
    budgetBytes: budget,
    largestBatch: {
      without: largestBatch(config.model, config.batchSize, 0, budget, gpu, size),
      with: largestBatch(config.model, config.batchSize, every, budget, gpu, size),
    },
  };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * What a run that ran out of GPU memory is told to do: what its step plans at its batch and input size, with and
 * without recomputation, and the largest batches whose plans fit `budgetBytes` (the planner's budget; the device
 * said it cannot hold even this run, so that is an upper bound).
 */
export function outOfMemoryAdvice(config: RunConfig, budgetBytes: number): string {
  const size = config.imageSize ?? 32;
  const every = sqrtEvery(config.model);
  const total = (p: TrainingPlan) => p.activationBytes + p.persistentBytes;
  const plain = total(planTraining(config.model, config.batchSize, 0, undefined, size));
  const re = total(planTraining(config.model, config.batchSize, every, undefined, size));
  const fit = (e: number) => largestBatch(config.model, config.batchSize, e, budgetBytes, undefined, size);
  const [a, b] = [fit(0), fit(every)];
  const fits = (n: number) => (n > 0 ? `batch ${n}` : 'no batch');
  return (
    `At batch ${config.batchSize}${size === 32 ? '' : ` and ${size}x${size} inputs`} this run plans ${mib(plain)} ` +
    `(${mib(re)} with recomputation every ${every} blocks). Within the planner's budget of ${mib(budgetBytes)}, ${fits(a)} fits ` +
    `without recomputation and ${fits(b)} with it; try one of those, turn recomputation on, or delete other runs.`
  );
}
