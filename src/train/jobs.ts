// Results produced in the background, while the runs go on training and later commands are handled: evaluation,
// predictions and checkpoint files. Each is posted when ready, unless its run is gone by then, and names the step
// whose weights it measured (taken when its work was submitted).
import type { EvalPoint } from './protocol';
import type { GpuSplit } from './gpuDataset';
import type { Run } from './run';
import type { RunRegistry } from './runs';
import type { Post } from './outbox';
import { predictionsEvent, type BnMode } from './evaluate';
import { checkpointFileName, saveCheckpoint } from './checkpoint';
import { toErrorEvent, TrainerError } from './errors';

export class RunJobs {
  constructor(
    private readonly runs: RunRegistry,
    private readonly post: Post,
  ) {}

  /**
   * Reports a background task's failure (answering `requestId` when it has one) unless its run is gone (deleted,
   * or lost with its device and rebuilt: the UI drops what it was waiting for of that run then).
   */
  background(r: Run, task: Promise<void>, requestId?: string): void {
    task.catch((e: unknown) => {
      if (this.runs.isCurrent(r)) this.post(requestId === undefined ? toErrorEvent(e, r.id) : { ...toErrorEvent(e, r.id), requestId });
    });
  }

  /** `onSubmit`: called once the batches are submitted (the weights of the step the points name are then in). */
  async evaluate(r: Run, split: 'test' | 'val', modes: BnMode[], count: number, onSubmit?: () => void): Promise<void> {
    const s = splitOf(r, split);
    const bnModes: BnMode[] = modes.length ? [...new Set(modes)] : ['eval'];
    let step = r.step;
    let reported: Promise<void> | undefined;
    const results = await r.evaluator.run(s, bnModes, count, {
      onSubmit: () => {
        step = r.step;
        reported = r.drain(); // the points up to `step` go out before this evaluation
        onSubmit?.();
      },
    });
    await reported;
    const points: EvalPoint[] = results.map((res, i) => ({
      runId: r.id,
      step,
      epoch: r.epochAt(step),
      split,
      bnMode: bnModes[i],
      loss: res.loss,
      accuracy: res.accuracy,
      images: res.images,
    }));
    if (this.runs.isCurrent(r)) this.post({ type: 'evaluation', points });
  }

  /**
   * Predictions on the test split: the confusion matrix and accuracy over the run's evalImages (0 = all, at
   * least `count`), and the first `count` images with their true and predicted labels.
   */
  async predict(r: Run, count: number, bnMode: BnMode): Promise<void> {
    const s = r.splits.test;
    const n = r.config.evalImages > 0 ? Math.min(s.ids.length, Math.max(count, r.config.evalImages)) : s.ids.length;
    let step = r.step;
    const [res] = await r.evaluator.run(s, [bnMode], n, { logits: true, onSubmit: () => (step = r.step) });
    const event = predictionsEvent(r.id, step, bnMode, s, res, count, r.network.config.classes);
    if (this.runs.isCurrent(r)) this.post(event, [event.pixels.buffer, event.labels.buffer, event.predicted.buffer]);
  }

  /** A checkpoint file of the run's weights at its current step, answered as 'checkpoint' (or 'error') with `requestId`. */
  async save(r: Run, requestId: string): Promise<void> {
    const step = r.step;
    // The points up to `step` are posted before the checkpoint: the UI keeps the curve with it, never a shorter one.
    const reported = r.drain();
    const bytes = await saveCheckpoint(r.network, { config: { ...r.config, lr: r.lr }, step, epoch: r.epochAt(step), name: r.name });
    await reported;
    const buffer = bytes.buffer as ArrayBuffer;
    if (this.runs.isCurrent(r))
      this.post({ type: 'checkpoint', runId: r.id, requestId, step, fileName: checkpointFileName(r.name, step), bytes: buffer }, [buffer]);
  }
}

function splitOf(r: Run, split: 'test' | 'val'): GpuSplit {
  const s = split === 'val' ? r.splits.val : r.splits.test;
  if (!s)
    throw new TrainerError(
      'bad-config',
      `'${r.name}' holds out no validation images.`,
      'Create the run with a validation split (valCount > 0), or evaluate on the test split.',
    );
  return s;
}
