// The step loop: several runs share one device and are interleaved step by step (one step of each training run
// per round). The loop never waits on a readback, only on the GPU finishing the round before last, so it stays
// at most MAX_AHEAD rounds ahead of the device; between rounds it yields, so commands (a pause) get in. What follows
// a step (an evaluation, the end, a step budget used up) is the run's lifecycle (lifecycle.ts).
import type { Gpu } from '../gpu/gpu';
import type { Run } from './run';
import type { RunRegistry } from './runs';
import type { Lifecycle } from './lifecycle';
import type { TrainerDevice } from './device';
import type { Post } from './outbox';
import { errorEvent, toErrorEvent } from './errors';

/** How many rounds of steps may be queued on the GPU before the loop waits for the oldest. */
const MAX_AHEAD = 2;

/** Yields to the event loop (a macrotask, so incoming messages are handled) without timer clamping. */
function nextTask(): Promise<void> {
  const ch = new MessageChannel();
  return new Promise<void>((resolve) => ((ch.port1.onmessage = () => (ch.port1.close(), resolve())), ch.port2.postMessage(null)));
}

export class StepLoop {
  private looping = false;
  /** Runs whose first step ran inside a validation error scope. */
  private readonly checked = new WeakSet<Run>();

  constructor(
    private readonly device: TrainerDevice,
    private readonly runs: RunRegistry,
    private readonly life: Lifecycle,
    private readonly post: Post,
  ) {}

  /** Starts the loop unless it is running; it stops by itself when no run is training. */
  kick(): void {
    if (!this.looping) void this.loop();
  }

  private async loop(): Promise<void> {
    this.looping = true;
    const inflight: Promise<unknown>[] = [];
    let gpu: Gpu | undefined;
    try {
      gpu = await this.device.ensureGpu();
      for (;;) {
        if (gpu !== this.device.current) break; // lost: the runs are rebuilt on the next device
        const active = this.runs.all().filter((r) => r.state === 'training');
        if (active.length === 0) break;
        const ready = active.filter((r) => this.life.canStep(r));
        if (ready.length === 0) {
          await this.life.whenAnyFree(active); // all halting (their points being read) or held by a job
          continue;
        }
        for (const r of ready) this.stepOnce(gpu, r);
        inflight.push(gpu.device.queue.onSubmittedWorkDone());
        if (inflight.length > MAX_AHEAD) await inflight.shift();
        else await nextTask();
      }
    } catch (e) {
      if (gpu === undefined || gpu === this.device.current) {
        this.life.haltTraining();
        this.post(toErrorEvent(e));
      } // else the device was lost under the loop: the trainer's recovery reports it and rebuilds the runs
    } finally {
      this.looping = false;
    }
    // Runs resumed on a new device while this loop was draining the lost one's queue.
    if (gpu !== this.device.current && this.runs.all().some((r) => r.state === 'training')) this.kick();
  }

  /** One step of `r` (its first inside a validation error scope), then what follows it: the end, an evaluation, a budget. */
  private stepOnce(gpu: Gpu, r: Run): void {
    const first = !this.checked.has(r);
    if (first) gpu.device.pushErrorScope('validation');
    try {
      r.submitStep();
    } finally {
      if (first) {
        this.checked.add(r);
        const check = gpu.device.popErrorScope().then((err) => {
          if (err && this.runs.isCurrent(r)) {
            this.life.fail(r);
            this.post(errorEvent('internal', `A training step of '${r.name}' failed on the GPU: ${err.message}`, r.id));
          }
        });
        this.life.watch(r, check);
      }
    }
    const { evalEvery } = r.config;
    if (r.step >= r.totalSteps) this.life.finish(r);
    else {
      if (evalEvery > 0 && r.step % evalEvery === 0) this.life.evaluate(r);
      if (r.budget !== undefined && --r.budget <= 0) void this.life.halt(r, 'paused');
      else this.runs.postProgress(r);
    }
  }
}
