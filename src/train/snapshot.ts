// The last known good state of a run (parameters, BN statistics, momentum) kept on the CPU, so a loss that
// turns NaN or infinite costs the steps since the snapshot, not the run. Snapshots are read back
// asynchronously (the step loop does not wait), at most every `everySteps` steps and `everyMs` ms, and only
// kept when every value is finite. The run waits for the first one (Run.setStep) and hands over the ones it has on
// the CPU (keep), so there is always one to go back to, however late the readbacks come.
import type { Network } from '../runtime/network';

export interface Snapshot {
  step: number;
  state: Record<string, Float32Array>;
  momentum: Record<string, Float32Array>;
}

const finite = (t: Record<string, Float32Array>) => Object.values(t).every((a) => a.every(Number.isFinite));

export class SnapshotKeeper {
  private last: Snapshot | undefined;
  private busy = false;
  private lastAt = -Infinity;
  /** Bumped by restore(): snapshots still in flight from before it are dropped. */
  private era = 0;

  constructor(
    private readonly network: Network,
    private readonly everySteps = 100,
    private readonly everyMs = 5000,
  ) {}

  get step(): number | undefined {
    return this.last?.step;
  }

  /** The last good snapshot (CPU copies, so it outlives the device). */
  get latest(): Snapshot | undefined {
    return this.last;
  }

  /** Snapshot the state after `step` steps (the state the queue holds now) unless one was taken recently. */
  maybeTake(step: number): void {
    if (this.busy) return;
    if (this.last && (step - this.last.step < this.everySteps || performance.now() - this.lastAt < this.everyMs)) return;
    void this.take(step);
  }

  /**
   * Snapshot now (both copies are queued in this turn, so they belong to the same step); settles when it is kept
   * or dropped. `fresh`: the network was given a new state (loaded weights), so every earlier snapshot is void.
   */
  take(step: number, fresh = false): Promise<void> {
    if (fresh) [this.era, this.last] = [this.era + 1, undefined];
    this.busy = true;
    this.lastAt = performance.now();
    const era = this.era;
    return Promise.all([this.network.getState(), this.network.getMomentum()])
      .then(([state, momentum]) => {
        if (era === this.era && step >= (this.last?.step ?? -1) && finite(state) && finite(momentum)) this.last = { step, state, momentum };
      })
      .catch(() => undefined) // network destroyed
      .finally(() => (this.busy = false));
  }

  /** `s` is the network's state now (put back from the CPU): the snapshot at once; those in flight are void. */
  keep(s: Snapshot): void {
    this.era++;
    this.last = s;
  }

  /** Puts the last good state back into the network; returns its step, or undefined when there is none. */
  restore(): number | undefined {
    if (!this.last) return undefined;
    this.era++;
    this.network.setState(this.last.state);
    this.network.setMomentum(this.last.momentum);
    return this.last.step;
  }
}
