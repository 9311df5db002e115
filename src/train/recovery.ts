// Faults a run survives. A non-finite loss rolls the run back to its last good snapshot and pauses it. A lost
// device gets every run rebuilt on a new one from its last snapshot, paused. An uncaptured GPU error, which
// cannot be pinned on one run, pauses every training run.
import type { Gpu, GpuErrorInfo } from '../gpu/gpu';
import type { RunConfig, RunId } from './protocol';
import type { Run } from './run';
import type { Snapshot } from './snapshot';
import { blankRunState, type RunRegistry } from './runs';
import type { TrainerDevice } from './device';
import type { Lifecycle } from './lifecycle';
import type { Outbox, Post } from './outbox';
import { errorEvent, gpuErrorEvent } from './errors';

/** What a run lost with its device is rebuilt from. */
interface LostRun {
  id: RunId;
  name: string;
  config: RunConfig;
  lr: number;
  snapshot: Snapshot | undefined;
}

const ADVICE_REBUILD =
  'Your runs come back paused at their last saved state (saved about every 100 steps and at every pause); resume them to go on.';

export interface RecoveryHost {
  device: TrainerDevice;
  runs: RunRegistry;
  life: Lifecycle;
  outbox: Outbox;
  post: Post;
  /** Builds a run (paused), posting its failure; undefined when it failed. */
  createRun(runId: RunId, name: string, config: RunConfig): Promise<Run | undefined>;
  /** Runs `task` after the command in progress, before the next one. */
  afterCurrentCommand(task: () => Promise<void>): void;
}

export class Recovery {
  private lastGpuError = 0;

  constructor(private readonly host: RecoveryHost) {}

  /** A non-finite loss of `run` at `step` (a RunSink callback). */
  onNonFinite(run: Run, step: number): void {
    const { runs, life, post } = this.host;
    if (!runs.isCurrent(run)) return;
    const lr = run.lrAt(step - 1).toPrecision(3);
    this.host.outbox.flush(); // the bad step's point goes out before the rolled-back state
    const back = run.rollback();
    if (run.state === 'training') void life.halt(run, 'paused');
    else runs.postState(run);
    const kept = back === undefined ? 'No earlier state was kept.' : `The run is back at step ${back}, its last good state.`;
    const event = errorEvent(
      'nan-loss',
      `The training loss of '${run.name}' became NaN or infinite at step ${step} (learning rate ${lr}). ${kept}`,
      run.id,
    );
    post(back === undefined ? event : { ...event, rolledBackTo: back });
  }

  onGpuError(gpu: Gpu, e: GpuErrorInfo): void {
    const { device, runs, post } = this.host;
    if (gpu !== device.current) return; // a device given up already
    if (e.kind === 'lost') {
      device.lose(); // the dataset is re-uploaded from the CPU copy on the next device
      const gone = runs.takeAll();
      const lost: LostRun[] = gone.map((r) => ({ id: r.id, name: r.name, config: r.config, lr: r.lr, snapshot: r.lastSnapshot() }));
      for (const r of gone) r.destroy();
      const ev = gpuErrorEvent(e);
      if (lost.length === 0) return post(ev);
      post({
        ...ev,
        message: `${ev.message} Rebuilding ${lost.length === 1 ? 'the run' : `the ${lost.length} runs`} on a new device from the last saved state.`,
        advice: ADVICE_REBUILD,
        recovering: true,
      });
      this.host.afterCurrentCommand(() => this.rebuild(lost));
      return;
    }
    // An error outside any scope: it cannot be pinned on one run, so every training run pauses (once per second at most).
    const now = performance.now();
    this.host.life.haltTraining();
    if (now - this.lastGpuError < 1000) return;
    this.lastGpuError = now;
    const ev = gpuErrorEvent(e);
    post({ ...ev, message: `${ev.message} Training is paused.` });
  }

  /**
   * After a device loss: every run is built again on a new device with its config and learning rate and
   * gets its last snapshot (the step-0 state when none was read back yet, which the seed reproduces), paused.
   * Its points after that step are void (rolledBackTo); training it on gives the same losses as if the
   * device had never been lost. Without a new device the runs fail and the user restarts the engine.
   */
  private async rebuild(lost: LostRun[]): Promise<void> {
    const { device, post } = this.host;
    try {
      await device.ensureDataset();
    } catch (e) {
      for (const l of lost) post(blankRunState(l.id, 'error'));
      const why = e instanceof Error ? e.message : String(e);
      post(errorEvent('device-lost', `No new GPU device could be set up after the loss (${why}); the runs could not be rebuilt.`));
      return;
    }
    for (const l of lost) {
      const run = await this.host.createRun(l.id, l.name, l.config);
      if (!run) continue;
      run.lr = l.lr;
      if (l.snapshot) run.restoreSnapshot(l.snapshot);
      this.host.life.built(run, run.step >= run.totalSteps ? 'done' : 'paused');
      const at = run.step;
      const message = `'${l.name}' was rebuilt on a new GPU device at step ${at}${at > 0 ? ', its last saved state' : ', its initial weights'}; it is paused.`;
      post({
        ...errorEvent(
          'device-lost',
          message,
          l.id,
          'Resume it to go on: the steps after that one are trained again, with the same batches.',
        ),
        rolledBackTo: at,
      });
    }
  }
}
