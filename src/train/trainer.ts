// The trainer behind the worker: takes protocol Commands, posts WorkerEvents. Several runs share one device and
// are interleaved step by step (one step of each training run per round); the loop never waits on a readback,
// only on the GPU finishing the round before last, so it stays at most two rounds ahead of the device.
// Commands are handled one at a time in arrival order; long results (evaluation, predictions, checkpoints) are
// produced in the background and posted when ready, so a pause is never stuck behind them.
import { createGpu, type Gpu, type GpuErrorInfo } from '../gpu/gpu';
import { ReadbackPool } from '../gpu/readback';
import type { Cifar10 } from '../data/cifar';
import type { Command, DataSource, EvalPoint, LayerNorms, MetricPoint, RunConfig, RunId, RunState, WorkerEvent } from './protocol';
import { GpuDataset, type GpuSplit } from './gpuDataset';
import { Run, type RunSink } from './run';
import type { Snapshot } from './snapshot';
import { predictionsEvent, type BnMode } from './evaluate';
import { applyCheckpoint, checkpointFileName, readCheckpoint, saveCheckpoint } from './checkpoint';
import { cacheInBackground, loadFromSource, summarise } from './dataSource';
import { errorEvent, gpuErrorEvent, toErrorEvent, TrainerError } from './errors';

export type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

export interface TrainerOptions {
  /** Base URL for the 'server' source and relative URLs (defaults to the worker's own location). */
  baseUrl?: string;
  /** Keep loaded datasets in IndexedDB (default true). */
  cache?: boolean;
}

/** What a run lost with its device is rebuilt from. */
interface LostRun {
  id: RunId;
  name: string;
  config: RunConfig;
  lr: number;
  snapshot: Snapshot | undefined;
}

const ADVICE_REBUILD = 'Your runs come back paused at their last saved state (saved about every 100 steps and at every pause); resume them to go on.';

/** How many rounds of steps may be queued on the GPU before the loop waits for the oldest. */
const MAX_AHEAD = 2;
const METRICS_MS = 100;
const RUN_STATE_MS = 500;

/** Yields to the event loop (a macrotask, so incoming messages are handled) without timer clamping. */
function nextTask(): Promise<void> {
  const ch = new MessageChannel();
  return new Promise<void>((resolve) => ((ch.port1.onmessage = () => (ch.port1.close(), resolve())), ch.port2.postMessage(null)));
}

export class Trainer {
  private gpu: Promise<Gpu> | undefined;
  private current: Gpu | undefined;
  private readback: ReadbackPool | undefined;
  private data: { data: Cifar10; source: string } | undefined;
  private dataset: GpuDataset | undefined;
  private readonly runs = new Map<RunId, Run>();
  private chain: Promise<void> = Promise.resolve();
  private outbox: MetricPoint[] = [];
  private normsOutbox: LayerNorms[] = [];
  private outboxTimer: ReturnType<typeof setTimeout> | undefined;
  /** When each run's state was last posted (progress is re-posted at most every RUN_STATE_MS). */
  private readonly statePosted = new Map<RunId, number>();
  private looping = false;
  private lastGpuError = 0;

  constructor(
    private readonly post: Post,
    private readonly opts: TrainerOptions = {},
  ) {}

  /** Handles `cmd` after the commands before it; resolves when it is handled (background results come later). */
  handle(cmd: Command): Promise<void> {
    const runId = 'runId' in cmd ? cmd.runId : undefined;
    const p = this.chain.then(() => this.dispatch(cmd)).catch((e) => this.post(toErrorEvent(e, runId)));
    this.chain = p;
    return p;
  }

  /** Uses an already decoded dataset (tests, or a page that loaded it itself). */
  async setData(data: Cifar10, source: string): Promise<void> {
    await this.installData(data, source);
  }

  private async dispatch(cmd: Command): Promise<void> {
    switch (cmd.type) {
      case 'init': {
        const gpu = await this.ensureGpu(false);
        this.post({ type: 'ready', adapter: gpu.adapterName, maxBufferBytes: gpu.limits.maxBufferSize });
        return;
      }
      case 'loadData':
        return this.loadData(cmd.source);
      case 'createRun':
        return void (await this.createRun(cmd.runId, cmd.name, cmd.config, cmd.start));
      case 'createGroup':
        return this.createGroup(cmd.runs, cmd.start);
      case 'pause':
        return this.pause(this.run(cmd.runId), 'paused');
      case 'stop':
        return this.pause(this.run(cmd.runId), 'stopped');
      case 'resume':
        return this.resume(this.run(cmd.runId), undefined);
      case 'step':
        if (!(Number.isInteger(cmd.count) && cmd.count > 0)) throw new TrainerError('bad-config', `step count must be a positive integer, not ${cmd.count}`, 'Ask for 1 or more steps.');
        return this.resume(this.run(cmd.runId), cmd.count);
      case 'setLr': {
        if (!(cmd.lr >= 0 && Number.isFinite(cmd.lr))) throw new TrainerError('bad-config', `learning rate must be a finite number >= 0, not ${cmd.lr}`, 'Enter a learning rate such as 0.1.');
        const r = this.run(cmd.runId);
        r.lr = cmd.lr;
        r.clearNonFinite();
        return;
      }
      case 'evaluate': {
        const r = this.run(cmd.runId);
        return this.background(r, this.evaluate(r, cmd.split, cmd.bnModes, r.config.evalImages));
      }
      case 'predict': {
        const r = this.run(cmd.runId);
        return this.background(r, this.predict(r, cmd.count, cmd.bnMode));
      }
      case 'save': {
        const r = this.run(cmd.runId);
        return this.background(r, this.save(r));
      }
      case 'load':
        return this.load(cmd.runId, cmd.name, cmd.bytes);
      case 'deleteRun': {
        const r = this.runs.get(cmd.runId);
        if (!r) return;
        this.runs.delete(cmd.runId);
        this.statePosted.delete(cmd.runId);
        r.destroy();
        return;
      }
      default:
        return cmd satisfies never;
    }
  }

  // --- device and data ---

  private ensureGpu(announce = true): Promise<Gpu> {
    if (!this.gpu) {
      const p = createGpu().then((gpu) => {
        gpu.onError.add((e) => this.onGpuError(gpu, e));
        this.current = gpu;
        this.readback = new ReadbackPool(gpu);
        if (announce) this.post({ type: 'ready', adapter: gpu.adapterName, maxBufferBytes: gpu.limits.maxBufferSize });
        return gpu;
      });
      p.catch(() => {
        if (this.gpu === p) this.gpu = undefined; // let a later command try again
      });
      this.gpu = p;
    }
    return this.gpu;
  }

  private async loadData(source: DataSource): Promise<void> {
    await this.ensureGpu();
    let last = 0;
    const loaded = await loadFromSource(
      source,
      (p, phase) => {
        const now = performance.now();
        if (now - last < 100 && p.bytesRead !== p.totalBytes) return;
        last = now;
        this.post({ type: 'dataProgress', bytesRead: p.bytesRead, totalBytes: p.totalBytes, imagesDecoded: p.imagesDecoded, phase });
      },
      this.opts.baseUrl ?? (typeof location !== 'undefined' ? location.href : undefined),
    );
    await this.installData(loaded.data, loaded.source);
    // In the background: training can start while the browser stores the copy. A failure only costs a reload.
    if (loaded.cacheable && this.opts.cache !== false) cacheInBackground(loaded.data, this.post);
  }

  private async installData(data: Cifar10, source: string): Promise<void> {
    const gpu = await this.ensureGpu();
    const n = data.train.count + data.test.count;
    this.post({ type: 'dataProgress', bytesRead: 0, totalBytes: data.train.images.length + data.test.images.length, imagesDecoded: n, phase: 'upload' });
    const next = GpuDataset.upload(gpu, data);
    this.dataset?.dispose(); // freed when the runs using it are deleted
    this.dataset = next;
    this.data = { data, source };
    this.post({ type: 'dataReady', summary: summarise(data, source) });
  }

  private async ensureDataset(): Promise<GpuDataset> {
    const gpu = await this.ensureGpu();
    if (!this.dataset && this.data) this.dataset = GpuDataset.upload(gpu, this.data.data); // after a device loss
    if (!this.dataset) throw new TrainerError('no-data', 'No dataset is loaded yet.', 'Load CIFAR-10 first (from the local server, a file, or a URL).');
    return this.dataset;
  }

  // --- runs ---

  private run(id: RunId): Run {
    const r = this.runs.get(id);
    if (!r) throw new TrainerError('bad-config', `There is no run '${id}'.`, 'It may have been deleted, or failed to build; create it again.');
    return r;
  }

  private sink: RunSink = {
    metrics: (points) => {
      this.outbox.push(...points);
      this.outboxTimer ??= setTimeout(() => this.flushOutbox(), METRICS_MS);
    },
    layerNorms: (point) => {
      this.normsOutbox.push(point);
      this.outboxTimer ??= setTimeout(() => this.flushOutbox(), METRICS_MS);
    },
    nonFinite: (run, step) => {
      if (this.runs.get(run.id) !== run) return;
      const lr = run.lrAt(step - 1).toPrecision(3);
      this.flushOutbox(); // the bad step's point goes out before the rolled-back state
      const back = run.rollback();
      if (run.state === 'training') this.pause(run, 'paused');
      else this.postState(run);
      const kept = back === undefined ? 'No earlier state was kept.' : `The run is back at step ${back}, its last good state.`;
      const event = errorEvent('nan-loss', `The training loss of '${run.name}' became NaN or infinite at step ${step} (learning rate ${lr}). ${kept}`, run.id);
      this.post(back === undefined ? event : { ...event, rolledBackTo: back });
    },
  };

  private async createRun(runId: RunId, name: string, config: RunConfig, start: boolean): Promise<Run | undefined> {
    try {
      if (this.runs.has(runId)) throw new TrainerError('bad-config', `A run with id '${runId}' exists already.`, 'Use a new run id.');
      const gpu = await this.ensureGpu();
      const dataset = await this.ensureDataset();
      this.post({ type: 'runState', runId, state: 'building', step: 0, totalSteps: 0, epoch: 0, paramCount: 0, gpuBytes: 0 });
      const run = await Run.createChecked(gpu, runId, name, config, dataset, this.readback!, this.sink);
      this.runs.set(runId, run);
      this.setState(run, start ? 'training' : 'ready');
      if (start) this.kick();
      return run;
    } catch (e) {
      this.post({ type: 'runState', runId, state: 'error', step: 0, totalSteps: 0, epoch: 0, paramCount: 0, gpuBytes: 0 });
      this.post(toErrorEvent(e, runId));
      return undefined;
    }
  }

  /** The runs get the first run's seed (same initialisation stream, data order and augmentation) and start together. */
  private async createGroup(runs: { runId: RunId; name: string; config: RunConfig }[], start: boolean): Promise<void> {
    if (runs.length === 0) return;
    const seed = runs[0].config.seed;
    const built: Run[] = [];
    for (const r of runs) {
      const run = await this.createRun(r.runId, r.name, { ...r.config, seed }, false);
      if (run) built.push(run);
    }
    if (start) for (const r of built) this.resume(r, undefined);
  }

  private setState(r: Run, state: RunState): void {
    r.state = state;
    this.postState(r);
  }

  private postState(r: Run): void {
    this.statePosted.set(r.id, performance.now());
    this.post({ type: 'runState', runId: r.id, state: r.state, step: r.step, totalSteps: r.totalSteps, epoch: r.epochAt(r.step), paramCount: r.paramCount, gpuBytes: r.gpuBytes() });
  }

  private pause(r: Run, state: 'paused' | 'stopped'): void {
    r.budget = undefined;
    r.flush();
    // A paused run's state is kept on the CPU too, so a device lost while it waits costs no steps.
    if (r.state === 'training') r.snapshotNow();
    if (r.state !== 'done' && r.state !== 'error' && r.state !== state) this.setState(r, state);
  }

  private resume(r: Run, steps: number | undefined): void {
    if (r.state === 'error') throw new TrainerError('bad-config', `'${r.name}' failed and cannot train.`, 'Delete it and create it again.');
    if (r.step >= r.totalSteps) throw new TrainerError('bad-config', `'${r.name}' has finished its ${r.totalSteps} steps.`, 'Create a longer run, or load its checkpoint into a new one.');
    r.budget = steps;
    r.clearNonFinite();
    r.restartClock();
    if (r.state !== 'training') this.setState(r, 'training');
    this.kick();
  }

  // --- the step loop ---

  private kick(): void {
    if (!this.looping) void this.loop();
  }

  private async loop(): Promise<void> {
    this.looping = true;
    const inflight: Promise<unknown>[] = [];
    let gpu: Gpu | undefined;
    try {
      gpu = await this.ensureGpu();
      for (;;) {
        if (gpu !== this.current) break; // lost: the runs are rebuilt on the next device
        const active = [...this.runs.values()].filter((r) => r.state === 'training');
        if (active.length === 0) break;
        for (const r of active) if (r.state === 'training' && this.runs.get(r.id) === r) this.stepOnce(gpu, r);
        inflight.push(gpu.device.queue.onSubmittedWorkDone());
        if (inflight.length > MAX_AHEAD) await inflight.shift();
        else await nextTask();
      }
    } catch (e) {
      if (gpu === undefined || gpu === this.current) {
        for (const r of this.runs.values()) if (r.state === 'training') this.pause(r, 'paused');
        this.post(toErrorEvent(e));
      } // else the device was lost under the loop: onGpuError reports it and rebuilds the runs
    } finally {
      this.looping = false;
    }
    // Runs resumed on a new device while this loop was draining the lost one's queue.
    if (gpu !== this.current && [...this.runs.values()].some((r) => r.state === 'training')) this.kick();
  }

  private stepOnce(gpu: Gpu, r: Run): void {
    const first = !this.checked.has(r);
    if (first) gpu.device.pushErrorScope('validation');
    try {
      r.submitStep();
    } finally {
      if (first) {
        this.checked.add(r);
        void gpu.device.popErrorScope().then((err) => {
          if (err && this.runs.get(r.id) === r) {
            this.setState(r, 'error');
            this.post(errorEvent('internal', `A training step of '${r.name}' failed on the GPU: ${err.message}`, r.id));
          }
        });
      }
    }
    if (r.budget !== undefined && --r.budget <= 0) this.pause(r, 'paused');
    const { evalEvery, evalBnModes, evalImages } = r.config;
    const finished = r.step >= r.totalSteps;
    if (finished || (evalEvery > 0 && r.step % evalEvery === 0)) {
      void this.background(r, this.evaluate(r, 'test', evalBnModes, evalImages));
    }
    if (finished) {
      r.budget = undefined;
      r.flush();
      this.setState(r, 'done');
    } else if (performance.now() - (this.statePosted.get(r.id) ?? 0) >= RUN_STATE_MS) {
      this.postState(r);
    }
  }

  private readonly checked = new WeakSet<Run>();

  private flushOutbox(): void {
    clearTimeout(this.outboxTimer);
    this.outboxTimer = undefined;
    if (this.outbox.length > 0) {
      const points = this.outbox;
      this.outbox = [];
      this.post({ type: 'metrics', points });
    }
    if (this.normsOutbox.length > 0) {
      const points = this.normsOutbox;
      this.normsOutbox = [];
      this.post({ type: 'layerNorms', points });
    }
  }

  // --- results produced in the background ---

  /** Reports a background task's failure unless its run is gone (deleted, or lost with its device and rebuilt). */
  private async background(r: Run, task: Promise<void>): Promise<void> {
    task.catch((e) => {
      if (this.runs.get(r.id) === r) this.post(toErrorEvent(e, r.id));
    });
  }

  private splitOf(r: Run, split: 'test' | 'val'): GpuSplit {
    const s = split === 'val' ? r.splits.val : r.splits.test;
    if (!s) throw new TrainerError('bad-config', `'${r.name}' holds out no validation images.`, 'Create the run with a validation split (valCount > 0), or evaluate on the test split.');
    return s;
  }

  private async evaluate(r: Run, split: 'test' | 'val', modes: BnMode[], count: number): Promise<void> {
    const s = this.splitOf(r, split);
    const bnModes: BnMode[] = modes.length ? [...new Set(modes)] : ['eval'];
    let step = r.step;
    const results = await r.evaluator.run(s, bnModes, count, { onSubmit: () => (step = r.step) });
    const points: EvalPoint[] = results.map((res, i) => ({ runId: r.id, step, epoch: r.epochAt(step), split, bnMode: bnModes[i], loss: res.loss, accuracy: res.accuracy, images: res.images }));
    if (this.runs.get(r.id) === r) this.post({ type: 'evaluation', points });
  }

  /**
   * Predictions on the test split: the confusion matrix and accuracy over the run's evalImages (0 = all, at
   * least `count`), and the first `count` images with their true and predicted labels.
   */
  private async predict(r: Run, count: number, bnMode: BnMode): Promise<void> {
    const s = r.splits.test;
    const n = r.config.evalImages > 0 ? Math.min(s.ids.length, Math.max(count, r.config.evalImages)) : s.ids.length;
    const [res] = await r.evaluator.run(s, [bnMode], n, { logits: true });
    const event = predictionsEvent(r.id, bnMode, s, res, count, r.network.config.classes);
    if (this.runs.get(r.id) === r) this.post(event, [event.pixels.buffer, event.labels.buffer, event.predicted.buffer]);
  }

  private async save(r: Run): Promise<void> {
    const step = r.step;
    const bytes = await saveCheckpoint(r.network, { config: { ...r.config, lr: r.lr }, step, epoch: r.epochAt(step), name: r.name });
    const buffer = bytes.buffer as ArrayBuffer;
    this.post({ type: 'checkpoint', runId: r.id, fileName: checkpointFileName(r.name, step), bytes: buffer }, [buffer]);
  }

  private async load(runId: RunId, name: string, bytes: ArrayBuffer): Promise<void> {
    let ckpt;
    try {
      ckpt = readCheckpoint(new Uint8Array(bytes));
    } catch (e) {
      this.post({ type: 'runState', runId, state: 'error', step: 0, totalSteps: 0, epoch: 0, paramCount: 0, gpuBytes: 0 });
      throw e;
    }
    const run = await this.createRun(runId, name || ckpt.meta.name, ckpt.meta.config, false);
    if (!run) return;
    applyCheckpoint(run.network, ckpt);
    run.setStep(ckpt.meta.step);
    this.setState(run, run.step >= run.totalSteps ? 'done' : 'paused');
  }

  // --- GPU faults ---

  /**
   * After a device loss: every run is built again on a new device with its config and learning rate and
   * gets its last snapshot (the step-0 state when none was read back yet, which the seed reproduces), paused.
   * Its points after that step are void (rolledBackTo); training it on gives the same losses as if the
   * device had never been lost. Without a new device the runs fail and the user restarts the engine.
   */
  private async rebuild(lost: LostRun[]): Promise<void> {
    try {
      await this.ensureDataset();
    } catch (e) {
      for (const l of lost) this.post({ type: 'runState', runId: l.id, state: 'error', step: 0, totalSteps: 0, epoch: 0, paramCount: 0, gpuBytes: 0 });
      const why = e instanceof Error ? e.message : String(e);
      this.post(errorEvent('device-lost', `No new GPU device could be set up after the loss (${why}); the runs could not be rebuilt.`));
      return;
    }
    for (const l of lost) {
      const run = await this.createRun(l.id, l.name, l.config, false);
      if (!run) continue;
      run.lr = l.lr;
      if (l.snapshot) run.restoreSnapshot(l.snapshot);
      this.setState(run, run.step >= run.totalSteps ? 'done' : 'paused');
      const at = run.step;
      const message = `'${l.name}' was rebuilt on a new GPU device at step ${at}${at > 0 ? ', its last saved state' : ', its initial weights'}; it is paused.`;
      this.post({ ...errorEvent('device-lost', message, l.id, 'Resume it to go on: the steps after that one are trained again, with the same batches.'), rolledBackTo: at });
    }
  }

  private onGpuError(gpu: Gpu, e: GpuErrorInfo): void {
    if (gpu !== this.current) return; // a device given up already
    if (e.kind === 'lost') {
      this.gpu = this.current = undefined;
      this.dataset = undefined; // re-uploaded from the CPU copy on the next device
      const lost: LostRun[] = [...this.runs.values()].map((r) => ({ id: r.id, name: r.name, config: r.config, lr: r.lr, snapshot: r.lastSnapshot() }));
      for (const r of this.runs.values()) r.destroy();
      this.runs.clear();
      const ev = gpuErrorEvent(e);
      if (lost.length === 0) return this.post(ev);
      this.post({ ...ev, message: `${ev.message} Rebuilding ${lost.length === 1 ? 'the run' : `the ${lost.length} runs`} on a new device from the last saved state.`, advice: ADVICE_REBUILD, recovering: true });
      // After the command in progress, before the next one (which then finds the runs again).
      const p = this.chain.then(() => this.rebuild(lost));
      this.chain = p.catch(() => undefined);
      return;
    }
    // An error outside any scope: it cannot be pinned on one run, so every training run pauses (once per second at most).
    const now = performance.now();
    for (const r of this.runs.values()) if (r.state === 'training') this.pause(r, 'paused');
    if (now - this.lastGpuError < 1000) return;
    this.lastGpuError = now;
    const ev = gpuErrorEvent(e);
    this.post({ ...ev, message: `${ev.message} Training is paused.` });
  }
}
