// One run trained to its end without a UI (the Node trainer, src/node/train.ts): the worker's own parts (Run, its
// sampler, schedule, augment kernel and Evaluator, GpuDataset) driven by a plain loop that keeps at most
// MAX_AHEAD steps queued on the GPU, as the worker's Trainer does. Metrics arrive through the same readbacks the
// app charts; at the end the test split is evaluated and the state can be saved as the app's checkpoint.
import type { Gpu, GpuErrorInfo } from '../gpu/gpu';
import { ReadbackPool } from '../gpu/readback';
import type { Cifar10 } from '../data/cifar';
import type { BnMode, EvalResult } from './evaluate';
import { GpuDataset } from './gpuDataset';
import type { EvalPoint, MetricPoint, RunConfig } from './protocol';
import { Run } from './run';
import { applyCheckpoint, saveCheckpoint, type LoadedCheckpoint } from './checkpoint';
import { TrainerError } from './errors';

const MAX_AHEAD = 2;
/** How long the last readbacks may take after the last step before the run counts as stuck. */
const DRAIN_MS = 120_000;

export interface HeadlessHooks {
  /** The run is built and `steps` steps are about to be trained. */
  begin?(run: Run, steps: number): void;
  /** Every metrics point, in step order, as the readbacks arrive. */
  metrics?(points: MetricPoint[]): void;
  evaluation?(points: EvalPoint[]): void;
  /** After each submitted step (1-based count of steps submitted). */
  submitted?(step: number): void;
}

export interface HeadlessResult {
  run: Run;
  metrics: MetricPoint[];
  evals: EvalPoint[];
  /** Step (1-based) whose loss was NaN or infinite; training stopped there. */
  nonFiniteAt?: number;
  /** Milliseconds from the first step's submit to the last step's metrics, without the evaluations in between. */
  trainMs: number;
}

export class HeadlessTrainer {
  private readonly readback: ReadbackPool;
  private readonly dataset: GpuDataset;
  private fault: GpuErrorInfo | undefined;

  constructor(
    private readonly gpu: Gpu,
    data: Cifar10,
  ) {
    this.readback = new ReadbackPool(gpu);
    this.dataset = GpuDataset.upload(gpu, data);
    gpu.onError.add((e) => (this.fault ??= e));
  }

  /**
   * Builds the run and trains it until step min(its length, maxSteps), evaluating the test split every
   * config.evalEvery steps and at the end (config.evalBnModes, config.evalImages). With `from`, the run starts from
   * that checkpoint's weights, momentum and step (as the app's "Load checkpoint" then Resume does).
   */
  async train(
    name: string,
    config: RunConfig,
    opts: { maxSteps?: number; hooks?: HeadlessHooks; from?: LoadedCheckpoint } = {},
  ): Promise<HeadlessResult> {
    const hooks = opts.hooks ?? {};
    const metrics: MetricPoint[] = [];
    const evals: EvalPoint[] = [];
    let nonFiniteAt: number | undefined;
    const run = await Run.createChecked(this.gpu, 'headless', name, config, this.dataset, this.readback, {
      metrics: (points) => {
        metrics.push(...points);
        hooks.metrics?.(points);
      },
      layerNorms: () => undefined,
      nonFinite: (_, step) => (nonFiniteAt ??= step),
    });
    if (opts.from) {
      applyCheckpoint(run.network, opts.from);
      await run.setStep(opts.from.meta.step);
    }
    const end = Math.min(run.totalSteps, opts.maxSteps ?? Infinity);
    const queue = this.gpu.device.queue;
    const inflight: Promise<unknown>[] = [];
    const begun = run.step; // a checkpoint's step: only the steps trained from here have metrics to wait for
    hooks.begin?.(run, end);
    const t0 = performance.now();
    let evalMs = 0;
    const evaluate = async () => {
      const e0 = performance.now();
      const points = await this.evaluate(run);
      evalMs += performance.now() - e0;
      evals.push(...points);
      hooks.evaluation?.(points);
    };
    while (run.step < end && nonFiniteAt === undefined) {
      this.check();
      run.submitStep();
      hooks.submitted?.(run.step);
      inflight.push(queue.onSubmittedWorkDone());
      if (inflight.length > MAX_AHEAD) await inflight.shift();
      if (config.evalEvery > 0 && run.step % config.evalEvery === 0 && run.step < end) await evaluate();
    }
    run.flush();
    await queue.onSubmittedWorkDone();
    // The last readbacks resolve after the work is done; wait for their points (or the first bad one).
    const deadline = performance.now() + DRAIN_MS;
    while (nonFiniteAt === undefined && run.step > begun && (metrics.at(-1)?.step ?? 0) < run.step) {
      this.check();
      if (performance.now() > deadline)
        throw new TrainerError(
          'internal',
          `The metrics of steps up to ${run.step} never came back from the GPU.`,
          'Try again; if it persists, report it.',
        );
      await new Promise((r) => setTimeout(r, 2));
    }
    const trainMs = performance.now() - t0 - evalMs;
    this.check();
    if (nonFiniteAt === undefined) await evaluate();
    return { run, metrics, evals, nonFiniteAt, trainMs };
  }

  /** The test split in each of the run's evaluation BN modes (eval mode when none is given). */
  async evaluate(run: Run): Promise<EvalPoint[]> {
    const modes: BnMode[] = run.config.evalBnModes.length ? [...new Set(run.config.evalBnModes)] : ['eval'];
    const step = run.step;
    const results: EvalResult[] = await run.evaluator.run(run.splits.test, modes, run.config.evalImages);
    this.check();
    return results.map((r, i) => ({
      runId: run.id,
      step,
      epoch: run.epochAt(step),
      split: 'test',
      bnMode: modes[i],
      loss: r.loss,
      accuracy: r.accuracy,
      images: r.images,
    }));
  }

  /** The app's checkpoint file of the run as it stands (state, momentum, config with its current lr). */
  checkpoint(run: Run): Promise<Uint8Array> {
    return saveCheckpoint(run.network, {
      config: { ...run.config, lr: run.lr },
      step: run.step,
      epoch: run.epochAt(run.step),
      name: run.name,
    });
  }

  destroy(): void {
    this.dataset.dispose();
  }

  /** A device loss or an uncaptured GPU error ends the run: nothing here can recover from it. */
  private check(): void {
    const f = this.fault;
    if (!f) return;
    const code = f.kind === 'lost' ? 'device-lost' : f.kind === 'out-of-memory' ? 'out-of-memory' : 'internal';
    throw new TrainerError(
      code,
      `GPU ${f.kind === 'lost' ? 'device lost' : `${f.kind} error`}: ${f.message}`,
      'Try a smaller batch size or network; if it persists, report the message.',
    );
  }
}
