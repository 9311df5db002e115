// The trainer behind the worker: takes protocol Commands, posts WorkerEvents. Commands are handled one at a time
// in arrival order; long results (evaluation, predictions, checkpoints) are produced in the background and posted
// when ready, so a pause is never stuck behind them. The parts, one job each: device.ts (the GPU device and the
// dataset on it), runs.ts (the runs and their posted state), loop.ts (the step loop), outbox.ts (batched
// metrics), lifecycle.ts (every change of a run's state, each awaiting what it announces), jobs.ts (background
// results), recovery.ts (NaN rollback, device loss). Everything but the batched points goes out through `ordered`,
// which flushes the outbox first: a state, an evaluation or a result never overtakes the points before it.
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
import { readyFacts, TrainerDevice, type DeviceOptions } from './device';
import { blankRunState, RunRegistry } from './runs';
import { StepLoop } from './loop';
import { Outbox, type Post } from './outbox';
import { probeSpeed } from './speedProbe';
import { RunJobs } from './jobs';
import { Lifecycle } from './lifecycle';
import { LabJobs } from './lab';
import { Recovery } from './recovery';
import { memoryPlanEvent } from './memoryPlan';
import { checkRunConfig } from './runConfig';
import { TrainerTuning } from './tuning';
import { TuneCancelled } from '../tune/autotune';
import { resolveConfig } from '../model/config';

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
  private readonly life: Lifecycle;
  private readonly recovery: Recovery;
  private readonly sink: RunSink;
  private readonly tuning: TrainerTuning;

  constructor(
    private readonly post: Post,
    opts: TrainerOptions = {},
  ) {
    this.outbox = new Outbox(post);
    const ordered: Post = (event, transfer) => {
      this.outbox.flush();
      post(event, transfer);
    };
    this.runs = new RunRegistry(ordered, post);
    this.tuning = new TrainerTuning(ordered);
    this.device = new TrainerDevice(ordered, opts, (gpu, e) => this.recovery.onGpuError(gpu, e), this.tuning);
    this.jobs = new RunJobs(this.runs, ordered);
    this.life = new Lifecycle(this.runs, this.jobs, () => this.loop.kick());
    this.lab = new LabJobs(
      this.runs,
      ordered,
      () => this.device.ensureGpu(),
      () => this.device.readback,
      (r, job) => this.life.hold(r, job),
    );
    this.loop = new StepLoop(this.device, this.runs, this.life, ordered);
    this.recovery = new Recovery({
      device: this.device,
      runs: this.runs,
      life: this.life,
      outbox: this.outbox,
      post: ordered,
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
    // Cancel reaches a tuning at once: the tuning itself is the command the queue waits on.
    if (cmd.type === 'tuneCancel') return Promise.resolve(this.tuning.cancel());
    const runId = 'runId' in cmd ? cmd.runId : undefined;
    const p = this.chain
      .then(() => this.dispatch(cmd))
      .catch((e: unknown) => {
        this.outbox.flush();
        this.post(toErrorEvent(e, runId));
      });
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
        this.tuning.setMode(cmd.tuning);
        const gpu = await this.device.ensureGpu(false);
        this.post({ type: 'ready', ...readyFacts(gpu, this.tuning) });
        return;
      }
      case 'tune': {
        try {
          resolveConfig(cmd.model); // a ConfigError for an impossible network
          if (!(Number.isInteger(cmd.batch) && cmd.batch >= 1 && cmd.batch <= 4096))
            throw new TrainerError(
              'bad-config',
              `tuning needs a batch size from 1 to 4096, not ${cmd.batch}`,
              'Pick a batch size such as 128.',
            );
          return await this.tuning.tune(await this.device.ensureGpu(), cmd.model, cmd.batch, this.trainingNames());
        } catch (e) {
          if (e instanceof TuneCancelled) return; // not an error: tuneEnded said so
          // The page shows a tuning as running from the moment it asks: every refusal and failure ends it there too.
          this.post({ type: 'tuneEnded', outcome: 'failed', message: e instanceof Error ? e.message : String(e) });
          throw e;
        }
      }
      case 'tuneCancel': // handled in handle(), ahead of the queue
        return;
      case 'measureSpeed': {
        const gpu = await this.device.ensureGpu();
        // A probe that fails (a lost device, an adapter too small for it) costs the estimate only, not an alert.
        try {
          return this.post({ type: 'speed', probe: await probeSpeed(gpu) });
        } catch (e) {
          return this.post({ type: 'speed', error: e instanceof Error ? e.message : String(e) });
        }
      }
      case 'loadData':
        return this.device.loadData(cmd.source);
      case 'createRun':
        await this.createRun(cmd.runId, cmd.name, cmd.config, cmd.start);
        return;
      case 'createGroup':
        return this.createGroup(cmd.runs, cmd.start);
      case 'pause': {
        // All at once: each halt holds its run's steps before any of them awaits, so a pair pauses at one step.
        const halts = [cmd.runId, ...(cmd.with ?? [])].map((id) => this.life.halt(this.runs.get(id), 'paused'));
        await Promise.all(halts);
        return;
      }
      case 'stop':
        return this.life.halt(this.runs.get(cmd.runId), 'stopped');
      case 'resume':
        return cmd.with?.length
          ? this.life.startTogether([cmd.runId, ...cmd.with].map((id) => this.runs.get(id)))
          : this.life.start(this.runs.get(cmd.runId));
      case 'step':
        if (!(Number.isInteger(cmd.count) && cmd.count > 0))
          throw new TrainerError('bad-config', `step count must be a positive integer, not ${cmd.count}`, 'Ask for 1 or more steps.');
        return this.life.start(this.runs.get(cmd.runId), cmd.count);
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
        return this.life.evaluate(r, cmd.split, cmd.bnModes);
      }
      case 'predict': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.jobs.predict(r, cmd.count, cmd.bnMode));
      }
      case 'save': {
        const r = this.runs.get(cmd.runId);
        return this.jobs.background(r, this.jobs.save(r, cmd.requestId), cmd.requestId);
      }
      case 'load':
        return this.load(cmd.runId, cmd.name, cmd.bytes, cmd.bare);
      case 'rename':
        this.runs.get(cmd.runId).name = cmd.name;
        return;
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
        const r = this.labRun(cmd.runId);
        return this.jobs.background(r, this.lab.responses(r, cmd.images));
      }
      case 'labLesion': {
        const r = this.labRun(cmd.runId);
        return this.jobs.background(r, this.lab.lesion(r, cmd.images));
      }
      case 'labLandscape': {
        const r = this.labRun(cmd.runId);
        return this.jobs.background(r, this.lab.landscape(r, cmd.mode, cmd.size, cmd.batches));
      }
      case 'labSaliency': {
        const r = this.labRun(cmd.runId);
        return this.jobs.background(r, this.lab.saliency(r, cmd.index));
      }
      case 'labCancel':
        return this.lab.cancel(cmd.runId);
      case 'labProfile': {
        const r = this.labRun(cmd.runId);
        return this.jobs.background(r, this.lab.profile(r));
      }
      case 'labHistogram': {
        const r = this.labRun(cmd.runId);
        return this.jobs.background(r, this.lab.histogram(r, cmd.layer, cmd.bins, cmd.images));
      }
      case 'labReestimateBn': {
        const r = this.labRun(cmd.runId);
        return this.jobs.background(r, this.lab.reestimateBn(r, cmd.batches, cmd.images));
      }
      default:
        return cmd satisfies never;
    }
  }

  /** A run for the analysis lab, whose probes, maps and scratch copies are built for 32x32 inputs. */
  private labRun(runId: RunId): Run {
    const r = this.runs.get(runId);
    const size = r.config.imageSize ?? 32;
    if (size !== 32)
      throw new TrainerError(
        'bad-config',
        `'${r.name}' takes ${size}x${size} inputs; the analysis lab's tools work on runs at 32x32.`,
        'Use the lab on a run at input size 32.',
      );
    return r;
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
      // In 'auto' mode a network and batch not tuned yet are tuned first (unless runs are training: no fair timing).
      if (this.trainingNames().length === 0) await this.tuning.beforeRun(gpu, config.model, config.batchSize);
      const run = await Run.createChecked(gpu, runId, name, config, dataset, this.device.readback, this.sink);
      this.runs.add(run);
      this.life.built(run, start ? 'training' : 'ready');
      return run;
    } catch (e) {
      this.post(blankRunState(runId, 'error'));
      this.post(toErrorEvent(e, runId));
      return undefined;
    }
  }

  private trainingNames(): string[] {
    return this.runs
      .all()
      .filter((r) => r.state === 'training')
      .map((r) => r.name);
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
    if (start) await Promise.all(built.map((r) => this.life.start(r)));
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
        const ckpt = readCheckpoint(new Uint8Array(from.bytes), (model) => ({ ...config, classes: undefined, model }));
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
    // Both built before either starts, so the twins train side by side from step 0.
    const twin = cmd.twin && (await this.createRun(cmd.twin.runId, cmd.twin.name, cmd.twin.config, false, data));
    const run = await this.createRun(runId, name, config, false, data);
    uploaded?.dispose();
    if (!run) {
      if (twin && start) await this.life.start(twin);
      return;
    }
    const merged = loadByName(run.network.stateShapes(), source);
    if (merged.loaded.length === 0) {
      if (twin && start) await this.life.start(twin);
      throw new TrainerError(
        'bad-checkpoint',
        `'${name}': the source shares no tensor with this network.`,
        'Fine-tune from a run of the same architecture, depth and width.',
      );
    }
    run.network.setState(merged.state);
    await run.setStep(0); // the rollback snapshot holds the loaded weights
    if (start) await Promise.all([run, ...(twin ? [twin] : [])].map((r) => this.life.start(r)));
  }

  private async load(runId: RunId, name: string, bytes: ArrayBuffer, bare?: RunConfig): Promise<void> {
    let ckpt;
    try {
      ckpt = readCheckpoint(new Uint8Array(bytes), bare && ((model) => ({ ...bare, model })));
    } catch (e) {
      this.post(blankRunState(runId, 'error'));
      throw e;
    }
    const run = await this.createRun(runId, name || ckpt.meta.name, ckpt.meta.config, false);
    if (!run) return;
    applyCheckpoint(run.network, ckpt);
    await run.setStep(ckpt.meta.step);
    this.life.built(run, run.step >= run.totalSteps ? 'done' : 'paused');
  }
}
