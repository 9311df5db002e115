// Evaluation of a run's network on a split, on the GPU: batches of the un-augmented images (augment kernel
// with pad 0 and no flip) go through the forward pass in eval-mode BN (running statistics) or train-mode BN
// (batch statistics, running statistics left alone), and the loss function's running sums (metrics[2..3],
// zeroed first) add up loss and correct counts on the GPU. All batches are submitted in one go and read back
// once at the end. A last partial batch uses a graph of its own size, so every image counts exactly once.
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import type { ReadbackPool } from '../gpu/readback';
import { createBatchInput, type BatchInput } from '../runtime/batchInput';
import type { Network } from '../runtime/network';
import type { NetGraphOptions } from '../model/resnet';
import type { StepTarget } from '../runtime/targets';
import type { GpuSplit, Normalisation } from './gpuDataset';
import type { RunId, WorkerEvent } from './protocol';

export type BnMode = 'eval' | 'train';

export interface EvalResult {
  /** Mean loss over the images. */
  loss: number;
  accuracy: number;
  correct: number;
  images: number;
  /** [images, classes] when asked for. */
  logits?: Float32Array;
}

interface Entry {
  target: StepTarget;
  input: BatchInput;
}

/** One BN mode's graphs: the full batch and the last partial batch (when there is one). */
interface Plan {
  mode: BnMode;
  full?: Entry;
  last?: Entry;
}

export class Evaluator {
  private readonly entries = new Map<string, Promise<Entry>>();
  private indices: GPUBuffer | undefined;
  private destroyed = false;

  constructor(
    private readonly gpu: Gpu,
    private readonly network: Network,
    private readonly readback: ReadbackPool,
    private readonly norm: Normalisation,
    /** Images per forward pass (the training batch: the graph that is known to fit, and train-mode BN sees batches of the training size). */
    readonly batch: number,
  ) {}

  /**
   * Loss and accuracy over the first `count` images of `split` (0 = all), once per BN mode. Graph builds are
   * awaited first; then every batch of every mode is submitted in the same turn of the event loop, so all modes
   * see the same weights and no training step comes in between.
   */
  async run(
    split: GpuSplit,
    modes: BnMode[],
    count = 0,
    opts: { logits?: boolean; onSubmit?: () => void; variant?: NetGraphOptions } = {},
  ): Promise<EvalResult[]> {
    const n = count > 0 ? Math.min(count, split.ids.length) : split.ids.length;
    if (n === 0) throw new Error(`the ${split.name} split has no images`);
    const B = this.batch;
    const rest = n % B;
    const plans: Plan[] = [];
    for (const mode of modes) {
      const v = opts.variant;
      plans.push({
        mode,
        full: n >= B ? await this.entry(split, mode, B, v) : undefined,
        last: rest > 0 ? await this.entry(split, mode, rest, v) : undefined,
      });
    }
    if (this.destroyed) throw new Error('the run was deleted');
    opts.onSubmit?.();
    return Promise.all(plans.map((p) => this.submit(split, p, n, opts.logits ?? false)));
  }

  /** Submits one mode's batches (synchronously) and returns its result once read back. */
  private submit(split: GpuSplit, plan: Plan, n: number, withLogits: boolean): Promise<EvalResult> {
    const { full, last, mode } = plan;
    const B = this.batch;
    const parts = [full, last].filter((e): e is Entry => !!e);
    const q = this.gpu.device.queue;
    const classes = this.network.config.classes;
    const zeros = new Float32Array(2);
    for (const p of parts) q.writeBuffer(p.target.metrics, 8, zeros);
    const logits = withLogits ? createStorage(this.gpu, `eval.logits`, n * classes * 4) : undefined;
    const staging = this.readback.acquire(parts.length * 16);
    const indices = this.indicesBuffer();
    for (let start = 0; start < n; start += B) {
      const size = Math.min(B, n - start);
      const e = size === B ? full! : last!;
      q.writeBuffer(indices, 0, split.ids, start, size);
      const enc = this.gpu.device.createCommandEncoder({ label: `eval.${split.name}.${mode}` });
      e.input.encode(enc);
      this.network.encodeStep(enc, e.target, mode === 'train' ? 'forwardNoUpdate' : 'forward');
      if (logits)
        enc.copyBufferToBuffer(e.target.logits.buffer, e.target.logits.offset ?? 0, logits, start * classes * 4, size * classes * 4);
      if (start + size >= n) parts.forEach((p, i) => enc.copyBufferToBuffer(p.target.metrics, 0, staging, i * 16, 16));
      q.submit([enc.finish()]);
    }
    const metricsRead = this.readback.read(staging, parts.length * 16);
    const logitsRead = logits ? this.readback.read(this.stageCopy(logits), logits.size) : undefined;
    return (async () => {
      try {
        const m = new Float32Array(await metricsRead);
        let lossSum = 0;
        let correct = 0;
        parts.forEach((_, i) => {
          lossSum += m[i * 4 + 2];
          correct += m[i * 4 + 3];
        });
        const out: EvalResult = { loss: lossSum / n, accuracy: correct / n, correct, images: n };
        if (logitsRead) out.logits = new Float32Array(await logitsRead).subarray(0, n * classes);
        return out;
      } finally {
        logits?.destroy();
      }
    })();
  }

  destroy(): void {
    this.destroyed = true;
    for (const e of this.entries.values())
      void e.then(
        (x) => x.input.destroy(),
        () => undefined,
      );
    this.entries.clear();
    this.indices?.destroy();
  }

  private indicesBuffer(): GPUBuffer {
    this.indices ??= createStorage(this.gpu, 'eval.indices', this.batch * 4);
    return this.indices;
  }

  private stageCopy(src: GPUBuffer): GPUBuffer {
    const staging = this.readback.acquire(src.size);
    const enc = this.gpu.device.createCommandEncoder({ label: 'eval.logits.readback' });
    enc.copyBufferToBuffer(src, 0, staging, 0, src.size);
    this.gpu.device.queue.submit([enc.finish()]);
    return staging;
  }

  /** The target and batch input for (images of `split`, BN mode, batch), built on first use. */
  private entry(split: GpuSplit, mode: BnMode, batch: number, variant?: NetGraphOptions): Promise<Entry> {
    const key = `${split.images.label}|${mode}|${batch}${variant ? `|${JSON.stringify(variant)}` : ''}`;
    let e = this.entries.get(key);
    if (!e) {
      e = this.build(split, mode, batch, variant);
      this.entries.set(key, e);
      e.catch(() => this.entries.delete(key));
    }
    return e;
  }

  private async build(split: GpuSplit, mode: BnMode, batch: number, variant?: NetGraphOptions): Promise<Entry> {
    const target = await this.network.target(mode, batch, variant);
    const opts = { batch, mean: this.norm.mean, std: this.norm.std, pad: 0, flip: false };
    const input = await createBatchInput(this.gpu, `eval.augment.${split.name}.${mode}${batch}`, opts, split, this.indicesBuffer(), target);
    return { target, input };
  }
}

/** Predicted class per image (argmax, ties to the lowest class, as the loss kernel counts). */
export function argmaxRows(logits: Float32Array, classes: number): Uint8Array {
  const n = logits.length / classes;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[i * classes + k] > logits[i * classes + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** confusion[true][predicted] counts. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]]++;
  return m;
}

/**
 * The 'predictions' event: the confusion matrix and accuracy over every evaluated image, and the first `count`
 * images (pixels, true and predicted labels) for display.
 */
export function predictionsEvent(
  runId: RunId,
  step: number,
  bnMode: BnMode,
  split: GpuSplit,
  res: EvalResult,
  count: number,
  classes: number,
) {
  const n = res.images;
  const predicted = argmaxRows(res.logits!, classes);
  const truth = new Uint8Array(n);
  for (let i = 0; i < n; i++) truth[i] = split.source.labels[split.ids[i]];
  const shown = Math.min(count, n);
  const pixels = new Uint8Array(shown * 3072);
  for (let i = 0; i < shown; i++) pixels.set(split.source.images.subarray(split.ids[i] * 3072, (split.ids[i] + 1) * 3072), i * 3072);
  return {
    type: 'predictions',
    runId,
    step,
    bnMode,
    pixels,
    labels: truth.slice(0, shown),
    predicted: predicted.slice(0, shown),
    confusion: confusionMatrix(truth, predicted, classes),
    accuracy: res.accuracy,
  } satisfies Extract<WorkerEvent, { type: 'predictions' }>;
}
