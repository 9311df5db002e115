// What the comparison page asks of each framework, and what each one answers. Every framework gets the same
// state dict (PyTorch names, conv weights OIHW, from our engine's seeded initialiser), the same NCHW images and
// labels, and the same SGD hyper-parameters; each converts them to its own layout once, before timing.
import type { NetSpec } from './peers/arch';

export type FrameworkId = 'ours' | 'tfjs-webgpu' | 'tfjs-webgl' | 'jax-webgpu';

export interface Hyper {
  lr: number;
  momentum: number;
  weightDecay: number;
}

export interface TrainJob {
  net: NetSpec;
  batch: number;
  warmup: number;
  steps: number;
  /** Parameters and BN statistics by PyTorch name (OIHW convolution weights, fc.weight [classes, C]). */
  state: Record<string, Float32Array>;
  /** [batch, 3, 32, 32] */
  images: Float32Array;
  labels: Int32Array;
  hyper: Hyper;
  /** performance.now() after which no further timed step starts. */
  deadline: number;
}

export type InferJob = Omit<TrainJob, 'hyper'>;

export type ConvKind = 'forward' | 'inputGrad' | 'weightGrad';

export interface ConvJob {
  kind: ConvKind;
  /** NCHW input [n, c, h, w], OIHW weight [o, c, 3, 3], stride 1, pad 1. */
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  /** Ops per timed batch (one submit / one readback at the end). */
  reps: number;
  warmup: number;
  steps: number;
  deadline: number;
}

export interface Timing {
  /** Wall time of each timed step (or of each batch of `reps` ops, divided by reps), ms. */
  ms: number[];
  /** Loss read back after each step, warm-up steps first (train and inference). */
  losses?: number[];
  /** Stopped early by the time limit. */
  partial?: boolean;
  /** Compilation / warm-up time, ms. */
  warmupMs: number;
  /** GPU time of each dispatch of one op, from timestamp queries (ours only, where the adapter has them). */
  kernels?: { label: string; ms: number }[];
}

export interface Framework {
  id: FrameworkId;
  /** Backend set-up; throws when the backend is unavailable. Returns a description of the adapter/backend. */
  init(): Promise<string>;
  train(job: TrainJob): Promise<Timing>;
  infer(job: InferJob): Promise<Timing>;
  conv(job: ConvJob): Promise<Timing>;
  /** Frees everything the framework holds (called before the next framework runs). */
  dispose(): Promise<void>;
}

export class TimeLimit extends Error {
  override name = 'TimeLimit';
}

export const median = (a: readonly number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs `warmup` untimed then `steps` timed calls of `step` (each resolves once its result is on the CPU).
 * Stops early at the deadline once at least one timed step exists; throws TimeLimit when none could run.
 */
export async function timeSteps(
  warmup: number,
  steps: number,
  deadline: number,
  step: () => Promise<number | undefined>,
  perCall = 1,
): Promise<Timing> {
  const losses: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < warmup; i++) {
    if (performance.now() > deadline) throw new TimeLimit('time limit reached during warm-up');
    const l = await step();
    if (l !== undefined) losses.push(l);
  }
  const warmupMs = performance.now() - t0;
  const ms: number[] = [];
  let partial = false;
  for (let i = 0; i < steps; i++) {
    if (performance.now() > deadline) {
      if (ms.length === 0) throw new TimeLimit('time limit reached before the first timed step');
      partial = true;
      break;
    }
    const s = performance.now();
    const l = await step();
    ms.push((performance.now() - s) / perCall);
    if (l !== undefined) losses.push(l);
  }
  return { ms, losses: losses.length ? losses : undefined, partial: partial || undefined, warmupMs };
}
