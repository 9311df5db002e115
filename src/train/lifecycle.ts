// A run's lifecycle, in one place. Every change of a training run's state goes through here, and each transition
// awaits what it announces (DESIGN.md, "A run's lifecycle"):
//   ready/paused --start--> training --halt--> paused | stopped
//                           training --finish--> evaluating --> done
//   any --fail--> error
// A state is posted only after every metric point up to the run's step has been read back and posted (Run.drain,
// then the outbox is flushed by the ordered post), and "done" only once the final evaluation, and any periodic one
// still running, has been posted. So on the wire a run's points come before its evaluations, and both before
// the state that follows them, whatever the relative speed of the GPU, the readbacks and the UI.
// Transitions of one run are serialised (a resume waits for the pause before it); a run that is halting, or held
// by a job that must see its weights at one step, takes no step meanwhile (canStep).
import type { RunState } from './protocol';
import type { Run } from './run';
import type { RunRegistry } from './runs';
import type { RunJobs } from './jobs';
import { TrainerError } from './errors';

interface Life {
  /** The transitions of this run, one after another. */
  chain: Promise<void>;
  /** Halts (and the end) asked for and not yet done: while any is pending the run takes no step. */
  halting: number;
  /** Jobs that need the run's weights to stay at one step until they have submitted their work. */
  holds: Set<Promise<unknown>>;
  /** Evaluations of this run not yet posted: "done" waits for them. */
  evaluations: Set<Promise<unknown>>;
  /** Checks of the run's first steps (a validation error scope) not yet settled: "done" waits for them. */
  checks: Set<Promise<unknown>>;
}

/** Keeps `p` in `set` until it settles, either way (what the set holds never rejects). */
function track(set: Set<Promise<unknown>>, p: Promise<unknown>): void {
  const settled: Promise<unknown> = p.then(
    () => set.delete(settled),
    () => set.delete(settled),
  );
  set.add(settled);
}

export class Lifecycle {
  private readonly lives = new WeakMap<Run, Life>();

  constructor(
    private readonly runs: RunRegistry,
    private readonly jobs: RunJobs,
    /** Starts the step loop (it stops by itself when no run trains). */
    private readonly kick: () => void,
  ) {}

  private of(r: Run): Life {
    let l = this.lives.get(r);
    if (!l) this.lives.set(r, (l = { chain: Promise.resolve(), halting: 0, holds: new Set(), evaluations: new Set(), checks: new Set() }));
    return l;
  }

  /** Runs `t` after the run's earlier transitions; its failure is the caller's (the chain goes on). */
  private serial(r: Run, t: () => Promise<void> | void): Promise<void> {
    const l = this.of(r);
    const p = l.chain.then(t);
    l.chain = p.catch(() => undefined);
    return p;
  }

  /** Whether the loop may submit a step of `r` now. */
  canStep(r: Run): boolean {
    const l = this.lives.get(r);
    return r.state === 'training' && this.runs.isCurrent(r) && (!l || (l.halting === 0 && l.holds.size === 0));
  }

  /** Resolves when one of the training runs that cannot step now may step again, or has left 'training'. */
  whenAnyFree(rs: Run[]): Promise<unknown> {
    const waits = rs.flatMap((r) => {
      const l = this.lives.get(r);
      return l ? [...(l.halting > 0 ? [l.chain] : []), ...l.holds] : [];
    });
    return waits.length ? Promise.race(waits) : Promise.resolve(); // the tracked promises never reject
  }

  /** A run built with `state` (ready, paused or done): posted as it is; 'training' starts it. */
  built(r: Run, state: 'ready' | 'paused' | 'done' | 'training'): void {
    if (state === 'training') {
      this.runs.setState(r, 'training');
      this.kick();
    } else this.runs.setState(r, state);
  }

  /** ready/paused/stopped -> training, for `steps` steps (undefined: to the end). */
  start(r: Run, steps?: number): Promise<void> {
    return this.serial(r, () => this.enter(r, steps));
  }

  /**
   * Several runs into 'training' in one task, after every command each of them had queued, so the loop's next round
   * steps all of them (a compare pair resumed in step). None starts if one cannot.
   */
  startTogether(rs: Run[]): Promise<void> {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queued = rs.map((r) => new Promise<void>((reached) => void this.serial(r, () => (reached(), gate))));
    return Promise.all(queued)
      .then(() => {
        rs.forEach((r) => this.check(r));
        rs.forEach((r) => this.enter(r));
      })
      .finally(release);
  }

  private check(r: Run): void {
    if (r.state === 'error') throw new TrainerError('bad-config', `'${r.name}' failed and cannot train.`, 'Delete it and create it again.');
    if (r.state === 'evaluating' || r.step >= r.totalSteps)
      throw new TrainerError(
        'bad-config',
        `'${r.name}' has finished its ${r.totalSteps} steps.`,
        'Create a longer run, or load its checkpoint into a new one.',
      );
  }

  private enter(r: Run, steps?: number): void {
    this.check(r);
    r.budget = steps;
    r.clearNonFinite();
    r.restartClock();
    if (r.state !== 'training') this.runs.setState(r, 'training');
    this.kick();
  }

  /**
   * training -> paused | stopped once its points are posted (ready -> paused | stopped at once); nothing for a run
   * that is finishing, done or failed. Resolves when the state is posted.
   */
  halt(r: Run, state: 'paused' | 'stopped'): Promise<void> {
    const l = this.of(r);
    l.halting++;
    r.budget = undefined;
    return this.serial(r, async () => {
      try {
        if (r.state === 'training') {
          await r.drain();
          // A paused run's state is kept on the CPU too, so a device lost while it waits costs no steps.
          r.snapshotNow();
        }
      } finally {
        l.halting--;
      }
      if (!this.runs.isCurrent(r)) return;
      if (r.state !== 'done' && r.state !== 'error' && r.state !== 'evaluating' && r.state !== state) this.runs.setState(r, state);
    });
  }

  /** Halts every training run (after a fault that cannot be pinned on one of them). */
  haltTraining(): void {
    for (const r of this.runs.all()) if (r.state === 'training') void this.halt(r, 'paused');
  }

  /** The run took its last step: its points, then 'evaluating', then the final evaluation, then 'done'. */
  finish(r: Run): void {
    const l = this.of(r);
    l.halting++;
    r.budget = undefined;
    void this.serial(r, async () => {
      try {
        await r.drain();
        await Promise.allSettled([...l.checks]);
      } finally {
        l.halting--;
      }
      // Failed, lost with its device, or rolled back by a non-finite loss (whose halt comes next).
      if (!this.runs.isCurrent(r) || r.state !== 'training' || r.step < r.totalSteps) return;
      this.runs.setState(r, 'evaluating');
      this.evaluate(r);
      await Promise.allSettled([...l.evaluations]);
      // A failed evaluation was reported as an error of the run; it trained all its steps all the same.
      if (this.runs.isCurrent(r) && (r.state as RunState) === 'evaluating') this.runs.setState(r, 'done');
    });
  }

  /**
   * An evaluation at the run's current step (default: the run's periodic test evaluation). The run is held until
   * the evaluation's batches are submitted (its graphs may still have to be built), so it measures exactly this
   * step; 'done' waits for it.
   */
  evaluate(r: Run, split: 'test' | 'val' = 'test', modes = r.config.evalBnModes): void {
    const l = this.of(r);
    let release!: () => void;
    const submitted = new Promise<void>((res) => (release = res));
    const done = this.jobs.evaluate(r, split, modes, r.config.evalImages, release).finally(release);
    track(l.holds, submitted);
    track(l.evaluations, done);
    this.jobs.background(r, done);
  }

  /** Holds the run (no steps) while `job` runs: a measurement that must see one step's weights throughout. */
  hold<T>(r: Run, job: () => Promise<T>): Promise<T> {
    const p = job();
    track(this.of(r).holds, p);
    return p;
  }

  /** A check on the run's first step (a GPU error scope): 'done' is not posted before it settles. */
  watch(r: Run, check: Promise<unknown>): void {
    track(this.of(r).checks, check);
  }

  /** -> error (a fault of this run: it takes no more steps). */
  fail(r: Run): void {
    if (!this.runs.isCurrent(r) || r.state === 'error') return;
    r.budget = undefined;
    this.runs.setState(r, 'error');
  }
}
