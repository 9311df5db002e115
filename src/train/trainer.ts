// The trainer behind the worker: takes protocol Commands, posts WorkerEvents. Commands are handled one at a time
// in arrival order; long results (evaluation, predictions, checkpoints) are produced in the background and posted
// when ready, so a pause is never stuck behind them. The parts, one job each: device.ts (the GPU device and the
// dataset on it), runs.ts (the runs and their posted state), loop.ts (the step loop), outbox.ts (batched
// metrics), jobs.ts (background results), recovery.ts (NaN rollback, device loss).
import type { Cifar10 } from '../data/cifar';
import { clearCachedDataset } from '../data/cache';
import type { Command, RunConfig, RunId } from './protocol';
import { checkImages, imagesAsDataset, loadByName } from './fineTune';
import { MAX_RESIZE_PIXELS, resizeImages } from '../runtime/resizeImages';
import { GpuDataset } from './gpuDataset';
import { stateLayout } from '../model/stateLayout';
import { Run, type RunSink } from './run';
import { applyCheckpoint, readCheckpoint } from './checkpoint';
import { toErrorEvent, TrainerError } from './errors';
import { TrainerDevice, type DeviceOptions } from './device';
import { blankRunState, RunRegistry } from './runs';
import { StepLoop } from './loop';
import { Outbox, type Post } from './outbox';
import { RunJobs } from './jobs';
import { LabJobs } from './lab';
import { Recovery } from './recovery';
import { memoryPlanEvent } from './memoryPlan';
import { checkRunConfig } from './runConfig';

export type { Post } from './outbox';
export type TrainerOptions = DeviceOptions;

export class Trainer {
  private chain: Promise<void> = Promise.resolve();
  private readonly outbox: Outbox;
  private readonly runs: RunRegistry;
  private readonly device: TrainerDevice;
  private readonly jobs: RunJobs;
  private readonly lab: LabJobs;
  private readonly loop: StepLoop;
  private readonly recovery: Recovery;
  private readonly sink: RunSink;

  constructor(
    private readonly post: Post,
    opts: TrainerOptions = {},
  ) {
    this.outbox = new Outbox(post);
    this.runs = new RunRegistry(post);
    this.device = new TrainerDevice(post, opts, (gpu, e) => this.recovery.onGpuError(gpu, e));
    // A background result (an evaluation, predictions, a checkpoint) goes after the metric points queued before it,
    // so the UI never shows a run's final test accuracy while its last training points are still in the outbox.
    this.jobs = new RunJobs(this.runs, (event, transfer) => {
      this.outbox.flush();
      post(event, transfer);
    });
    this.lab = new LabJobs(
      this.runs,
      post,
      () => this.device.ensureGpu(),
      () => this.device.readback,
    );
    this.loop = new StepLoop(this.device, this.runs, this.jobs, post);
    this.recovery = new Recovery({
      device: this.device,
      runs: this.runs,
      outbox: this.outbox,
      post,
      createRun: (runId, name, config) => this.createRun(runId, name, config, false),
      afterCurrentCommand: (task) => {
        const p = this.chain.then(task);
        this.chain = p.catch(() => undefined);
      },
    });
    this.sink = {
      metrics: (points) => this.outbox.metrics(points),
      layerNorms: (point) => this.outbox.layerNorms(point),
      nonFinite: (run, step) => this.recovery.onNonFinite(run, step),
    };
  }

  /** Handles `cmd` after the commands before it; resolves when it is handled (background results come later). */
  handle(cmd: Command): Promise<void> {
    const runId = 'runId' in cmd ? cmd.runId : undefined;
    const p = this.chain.then(() => this.dispatch(cmd)).catch((e: unknown) => this.post(toErrorEvent(e, runId)));
    this.chain = p;
    return p;
  }

  /** Uses an already decoded dataset (tests, or a page that loaded it itself). */
  async setData(data: Cifar10, source: string): Promise<void> {
    await this.device.installData(data, source);
  }

  private async dispatch(cmd: Command): Promise<void> {
    switch (cmd.type) {
      case 'init': {
        const gpu = await this.device.ensureGpu(false);
        this.post({ type: 'ready', adapter: gpu.adapterName, maxBufferBytes: gpu.limits.maxBufferSize });
        return;
      }
      case 'loadData':
        return this.device.loadData(cmd.source);
      case 'createRun':
        await this.createRun(cmd.runId, cmd.name, cmd.config, cmd.start);
        return;
      case 'createGroup':
        return this.createGroup(cmd.runs, cmd.start);
      case 'pause':
        return this.runs.pause(this.runs.get(cmd.runId), 'paused');
      case 'stop':
        return this.runs.pause(this.runs.get(cmd.runId), 'stopped');
      case 'resume':
        return this.resume(this.runs.get(cmd.runId), undefined);
      case 'step':
        if (!(Number.isInteger(cmd.count) && cmd.count > 0))
          throw new TrainerError('bad-config', `step count must be a positive integer, not ${cmd.count}`, 'Ask for 1 or more steps.');
        return this.resume(this.runs.get(cmd.runId), cmd.count);
      case 'setLr': {
        if (!(cmd.lr >= 0 && Number.isFinite(cmd.lr)))
          throw new TrainerError(
            'bad-config',
            `learning rate must be a finite number >= 0, not ${cmd.lr}`,
            'Enter a learning rate such as 0.1.',
          );
        const r = this.runs.get(cmd.runId);
        r.lr = cmd.lr;
        r.clearNonFinite();
        return;
      }
      case 'evaluate': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.jobs.evaluate(r, cmd.split, cmd.bnModes, r.config.evalImages));
      }
      case 'predict': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.jobs.predict(r, cmd.count, cmd.bnMode));
      }
      case 'save': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.jobs.save(r));
      }
      case 'load':
        return this.load(cmd.runId, cmd.name, cmd.bytes);
      case 'deleteRun':
        return this.runs.delete(cmd.runId);
      case 'storageInfo':
        return this.post({ type: 'storage', datasetBytes: this.device.cachedDatasetBytes });
      case 'clearDatasetCache':
        await clearCachedDataset();
        this.device.cachedDatasetBytes = 0;
        return this.post({ type: 'storage', datasetBytes: 0 });
      case 'fineTune':
        return this.fineTune(cmd);
      case 'planMemory': {
        checkRunConfig(cmd.config);
        return this.post(memoryPlanEvent(cmd.requestId, cmd.config, await this.device.ensureGpu(false)));
      }
      case 'labResponses': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.lab.responses(r, cmd.images));
      }
      case 'labLesion': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.lab.lesion(r, cmd.images));
      }
      case 'labLandscape': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.lab.landscape(r, cmd.mode, cmd.size, cmd.batches));
      }
      case 'labSaliency': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.lab.saliency(r, cmd.index));
      }
      case 'labCancel':
        return this.lab.cancel(cmd.runId);
      case 'labProfile': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.lab.profile(r));
      }
      case 'labHistogram': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.lab.histogram(r, cmd.layer, cmd.bins, cmd.images));
      }
      case 'labReestimateBn': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.lab.reestimateBn(r, cmd.batches, cmd.images));
      }
      default:
        return cmd satisfies never;
    }
  }

  /** `data`: the images to train on (the user's own, for fine-tuning); default: the loaded CIFAR-10. */
  private async createRun(
    runId: RunId,
    name: string,
    config: RunConfig,
    start: boolean,
    data?: () => GpuDataset,
  ): Promise<Run | undefined> {
    try {
      if (this.runs.has(runId)) throw new TrainerError('bad-config', `A run with id '${runId}' exists already.`, 'Use a new run id.');
      const gpu = await this.device.ensureGpu();
      const dataset = data ? data() : await this.device.ensureDataset();
      this.post(blankRunState(runId, 'building'));
      const run = await Run.createChecked(gpu, runId, name, config, dataset, this.device.readback, this.sink);
      this.runs.add(run);
      this.runs.setState(run, start ? 'training' : 'ready');
      if (start) this.loop.kick();
      return run;
    } catch (e) {
      this.post(blankRunState(runId, 'error'));
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

  private resume(r: Run, steps: number | undefined): void {
    if (r.state === 'error') throw new TrainerError('bad-config', `'${r.name}' failed and cannot train.`, 'Delete it and create it again.');
    if (r.step >= r.totalSteps)
      throw new TrainerError(
        'bad-config',
        `'${r.name}' has finished its ${r.totalSteps} steps.`,
        'Create a longer run, or load its checkpoint into a new one.',
      );
    r.budget = steps;
    r.clearNonFinite();
    r.restartClock();
    if (r.state !== 'training') this.runs.setState(r, 'training');
    this.loop.kick();
  }

  /** A run from a checkpoint file: built with the file's settings, its state and momentum loaded, paused at its step. */
  /**
   * A run whose weights load by name from another run or a checkpoint file (the head re-initialised where its shape
   * differs); on the user's own images (and then with its from-scratch twin) when the command brings them.
   */
  private async fineTune(cmd: Extract<Command, { type: 'fineTune' }>): Promise<void> {
    const { runId, name, config, from, start } = cmd;
    let source: Record<string, { shape: readonly number[]; data: Float32Array }>;
    let uploaded: GpuDataset | undefined;
    try {
      if (from.kind === 'run') {
        const src = this.runs.get(from.runId).network;
        const values = await src.getState();
        source = Object.fromEntries(src.stateShapes().map((t) => [t.name, { shape: t.shape, data: values[t.name] }]));
      } else {
        const ckpt = readCheckpoint(new Uint8Array(from.bytes));
        source = Object.fromEntries(stateLayout(ckpt.meta.config.model).map((e) => [e.name, { shape: e.shape, data: ckpt.state[e.name] }]));
      }
      if (cmd.images) {
        // The page sends native-size images; they become 32x32 records here, on this worker's GPU.
        const { classNames, images, labels } = cmd.images;
        checkImages(cmd.images, MAX_RESIZE_PIXELS);
        const gpu = await this.device.ensureGpu();
        uploaded = GpuDataset.upload(gpu, imagesAsDataset({ classNames, labels, pixels: await resizeImages(gpu, images) }));
      }
    } catch (e) {
      this.post(blankRunState(runId, 'error'));
      throw e;
    }
    // One upload shared by the two runs, freed when the last of them is deleted (now, if neither was built).
    const data = uploaded && (() => uploaded);
    if (cmd.twin) await this.createRun(cmd.twin.runId, cmd.twin.name, cmd.twin.config, start, data);
    const run = await this.createRun(runId, name, config, false, data);
    uploaded?.dispose();
    if (!run) return;
    const merged = loadByName(run.network.stateShapes(), source);
    if (merged.loaded.length === 0)
      throw new TrainerError(
        'bad-checkpoint',
        `'${name}': the source shares no tensor with this network.`,
        'Fine-tune from a run of the same architecture, depth and width.',
      );
    run.network.setState(merged.state);
    run.setStep(0); // the rollback snapshot holds the loaded weights
    this.runs.setState(run, start ? 'training' : 'ready');
    if (start) this.loop.kick();
  }

  private async load(runId: RunId, name: string, bytes: ArrayBuffer): Promise<void> {
    let ckpt;
    try {
      ckpt = readCheckpoint(new Uint8Array(bytes));
    } catch (e) {
      this.post(blankRunState(runId, 'error'));
      throw e;
    }
    const run = await this.createRun(runId, name || ckpt.meta.name, ckpt.meta.config, false);
    if (!run) return;
    applyCheckpoint(run.network, ckpt);
    run.setStep(ckpt.meta.step);
    this.runs.setState(run, run.step >= run.totalSteps ? 'done' : 'paused');
  }
}
