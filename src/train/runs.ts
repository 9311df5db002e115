// The trainer's run registry: the runs by id, and their state as the UI sees it. A state is posted when it is set
// (lifecycle.ts decides when that may be); a training run's progress is re-posted at most every RUN_STATE_MS.
import type { RunId, RunState, WorkerEvent } from './protocol';
import type { Run } from './run';
import type { Post } from './outbox';
import { TrainerError } from './errors';

const RUN_STATE_MS = 500;

/** The state event of a run that has no network (yet): being built, or failed to build or load. */
export function blankRunState(runId: RunId, state: 'building' | 'error'): WorkerEvent {
  return { type: 'runState', runId, state, step: 0, totalSteps: 0, epoch: 0, paramCount: 0, gpuBytes: 0 };
}

export class RunRegistry {
  private readonly runs = new Map<RunId, Run>();
  /** When each run's state was last posted. */
  private readonly statePosted = new Map<RunId, number>();

  constructor(
    /** Posts a state after the points queued before it (trainer.ts `ordered`). */
    private readonly post: Post,
    /** Posts a training run's progress as it is: it claims nothing about the points, so it does not flush them. */
    private readonly postNow: Post = post,
  ) {}

  /** The run `id`; a TrainerError when there is none. */
  get(id: RunId): Run {
    const r = this.runs.get(id);
    if (!r)
      throw new TrainerError('bad-config', `There is no run '${id}'.`, 'It may have been deleted, or failed to build; create it again.');
    return r;
  }

  has(id: RunId): boolean {
    return this.runs.has(id);
  }

  /** Whether `r` is still registered (not deleted, nor lost with its device and rebuilt as another Run). */
  isCurrent(r: Run): boolean {
    return this.runs.get(r.id) === r;
  }

  add(r: Run): void {
    this.runs.set(r.id, r);
  }

  /** Deletes run `id` and frees its GPU memory; nothing when there is no such run. */
  delete(id: RunId): void {
    const r = this.runs.get(id);
    if (!r) return;
    this.runs.delete(id);
    this.statePosted.delete(id);
    r.destroy();
  }

  all(): Run[] {
    return [...this.runs.values()];
  }

  /** Removes every run (their device is gone) and returns them, still to be destroyed. */
  takeAll(): Run[] {
    const all = this.all();
    this.runs.clear();
    return all;
  }

  setState(r: Run, state: RunState): void {
    r.state = state;
    this.postState(r);
  }

  postState(r: Run, post = this.post): void {
    this.statePosted.set(r.id, performance.now());
    post({
      type: 'runState',
      runId: r.id,
      state: r.state,
      step: r.step,
      totalSteps: r.totalSteps,
      epoch: r.epochAt(r.step),
      paramCount: r.paramCount,
      gpuBytes: r.gpuBytes(),
    });
  }

  /** Posts a training run's progress when it was last posted RUN_STATE_MS ago or more. */
  postProgress(r: Run): void {
    if (performance.now() - (this.statePosted.get(r.id) ?? 0) >= RUN_STATE_MS) this.postState(r, this.postNow);
  }
}
