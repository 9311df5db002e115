// Results produced in the background, while the runs go on training and later commands are handled: evaluation,
// predictions and checkpoint files. Each is posted when ready, unless its run is gone by then.
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

  /** Reports a background task's failure unless its run is gone (deleted, or lost with its device and rebuilt). */
  background(r: Run, task: Promise<void>): void {
    task.catch((e: unknown) => {
      if (this.runs.isCurrent(r)) this.post(toErrorEvent(e, r.id));
    });
  }

  async evaluate(r: Run, split: 'test' | 'val', modes: BnMode[], count: number): Promise<void> {
    const s = splitOf(r, split);
    const bnModes: BnMode[] = modes.length ? [...new Set(modes)] : ['eval'];
    let step = r.step;
    const results = await r.evaluator.run(s, bnModes, count, { onSubmit: () => (step = r.step) });
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
    const [res] = await r.evaluator.run(s, [bnMode], n, { logits: true });
    const event = predictionsEvent(r.id, bnMode, s, res, count, r.network.config.classes);
    if (this.runs.isCurrent(r)) this.post(event, [event.pixels.buffer, event.labels.buffer, event.predicted.buffer]);
  }

  async save(r: Run): Promise<void> {
    const step = r.step;
    const bytes = await saveCheckpoint(r.network, { config: { ...r.config, lr: r.lr }, step, epoch: r.epochAt(step), name: r.name });
    const buffer = bytes.buffer as ArrayBuffer;
    this.post({ type: 'checkpoint', runId: r.id, fileName: checkpointFileName(r.name, step), bytes: buffer }, [buffer]);
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
