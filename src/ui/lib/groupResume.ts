// "Resume" for a compare pair after a reload (issue 22): the twins come back from their own checkpoints, which can
// be a step or two apart, and must go on in step (same step, same batches) or their curves stop being comparable.
// Once every member is loaded (paused at its checkpoint's step), the ones behind take the missing steps alone;
// when all stand at the same step, all resume together. Pure bookkeeping: it returns the commands to send.
import type { Command, RunState } from '../../train/protocol';

interface Pending {
  ids: string[];
  /** The step every member goes on from, once known (the furthest checkpoint). */
  target?: number;
  /** Members sent their missing steps (asked once: the worker pauses them at `target`). */
  stepping: Set<string>;
}

/** Resumes `ids` as one (the worker's `resume` with `with`); a single run as itself. */
export const resumeTogether = (ids: readonly string[]): Command =>
  ids.length > 1 ? { type: 'resume', runId: ids[0], with: ids.slice(1) } : { type: 'resume', runId: ids[0] };

export class GroupResumes {
  private readonly pending: Pending[] = [];
  private readonly seen = new Map<string, { state: RunState; step: number }>();

  /** Members of one group, about to be loaded from their checkpoints. */
  start(ids: string[]): void {
    for (const id of ids) this.seen.delete(id);
    this.pending.push({ ids: [...ids], stepping: new Set() });
  }

  /** Whether run `id` is being brought back with its group. */
  has(id: string): boolean {
    return this.pending.some((p) => p.ids.includes(id));
  }

  /** Run `id` will not come back (its checkpoint is gone): the others go on without it. */
  leave(id: string): Command[] {
    return this.onState(id, 'error', 0);
  }

  /** A run's state as the worker reported it; returns what to send now. */
  onState(id: string, state: RunState, step: number): Command[] {
    this.seen.set(id, { state, step });
    const out: Command[] = [];
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i];
      if (!p.ids.includes(id)) continue;
      // A member that failed, was stopped or has nothing left to train leaves the group; the others go on.
      if (state === 'error' || state === 'stopped' || state === 'done') p.ids = p.ids.filter((x) => x !== id);
      const at = p.ids.map((x) => this.seen.get(x));
      if (p.ids.length === 0) {
        this.pending.splice(i, 1);
        continue;
      }
      if (!at.every((s) => s?.state === 'paused')) continue; // still loading, or taking its missing steps
      const steps = at.map((s) => s!.step);
      p.target ??= Math.max(...steps);
      const target = p.target;
      if (steps.every((s) => s === target)) {
        // One command for all: the worker starts them in one task, so they take every step together.
        out.push(resumeTogether(p.ids));
        this.pending.splice(i, 1);
      } else {
        p.ids.forEach((runId, k) => {
          if (steps[k] >= target || p.stepping.has(runId)) return;
          p.stepping.add(runId);
          out.push({ type: 'step', runId, count: target - steps[k] });
        });
      }
    }
    return out;
  }
}
