// One training run on the GPU: a Network, the augment dispatch that fills its training input, and the step
// loop's per-step work. A step writes only the batch's image ids and two uniforms, then records ONE encoder
// (augment pass, training pass, a copy of the step's loss and correct count into slot step % K of a small
// metrics-history buffer) and submits. Every few steps the history goes to a pooled readback buffer that is
// mapped asynchronously: the loop never waits on it. Maps may resolve in any order (a real GPU, a loaded
// machine), so their results are handled in the order they were started: points always leave in step order,
// and drain() says when every step submitted so far has been reported (lifecycle.ts awaits it).
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import type { ReadbackPool } from '../gpu/readback';
import { createBatchInput, type BatchInput } from '../runtime/batchInput';
import { Network } from '../runtime/network';
import type { StepTarget } from '../runtime/targets';
import { countParams } from '../model/counts';
import type { LayerNorms, MetricPoint, RunConfig, RunId, RunState } from './protocol';
import { LayerNormProbe, type Norms } from '../runtime/layerNorms';
import type { GpuDataset, SplitSet } from './gpuDataset';
import { EpochSampler } from './sampler';
import { learningRate, totalSteps } from './schedule';
import { Evaluator } from './evaluate';
import { SnapshotKeeper, type Snapshot } from './snapshot';
import { TrainerError } from './errors';
import { checkRunConfig } from './runConfig';
import { outOfMemoryAdvice, recomputeBudget, recomputeEveryFor } from './memoryPlan';
import { restrictSplits } from './subset';

/** Slots of the metrics history; a readback is forced at the latest every HISTORY steps. */
export const HISTORY = 32;
/** Readbacks are also started when this much time has passed since the last one. */
const FLUSH_MS = 100;
const SLOT_BYTES = 8; // loss, correct
/** Per-layer norms go with a readback at most this often (two small reductions after that step). */
const NORMS_MS = 500;

export interface RunSink {
  metrics(points: MetricPoint[]): void;
  /** Per-layer weight and gradient norms after a step (only of steps whose loss was finite). */
  layerNorms(point: LayerNorms): void;
  /** A non-finite loss at `step`: the trainer pauses the run. */
  nonFinite(run: Run, step: number): void;
}

interface Pending {
  step: number;
  lr: number;
  epoch: number;
}

export class Run {
  state: RunState = 'building';
  /** Steps submitted so far (= index of the next step). */
  step = 0;
  /** Steps still to take before pausing (a 'step' command), or undefined to train to the end. */
  budget: number | undefined;
  /** Peak learning rate; setLr changes it and the schedule goes on from there. */
  lr: number;
  readonly totalSteps: number;
  readonly paramCount: number;
  readonly evaluator: Evaluator;
  private readonly sampler: EpochSampler;
  private readonly indices: GPUBuffer;
  private readonly history: GPUBuffer;
  private pending: Pending[] = [];
  private lastFlush = 0;
  /** The step (1-based) of the last norms taken, and when. */
  private normsStep = 0;
  private lastNormsAt = -Infinity;
  private lastRateAt = 0;
  private ratePending = 0;
  private nanReported = false;
  /** Bumped by a rollback: readbacks of steps from before it are dropped. */
  private generation = 0;
  /** The readbacks started so far, handled one after another in the order they were started. */
  private reads: Promise<void> = Promise.resolve();
  private readonly snapshots: SnapshotKeeper;
  private destroyed = false;
  /** Buffers only this run uses (its remapped labels), destroyed with it. */
  readonly owned: GPUBuffer[] = [];

  private constructor(
    private readonly gpu: Gpu,
    readonly id: RunId,
    /** What the user calls it; renamed by the `rename` command (checkpoint metadata and file names use it). */
    public name: string,
    readonly config: RunConfig,
    readonly network: Network,
    readonly dataset: GpuDataset,
    readonly splits: SplitSet,
    private readonly target: StepTarget,
    private readonly input: BatchInput,
    private readonly probe: LayerNormProbe,
    indices: GPUBuffer,
    history: GPUBuffer,
    private readonly readback: ReadbackPool,
    private readonly sink: RunSink,
  ) {
    this.lr = config.lr;
    this.totalSteps = totalSteps(config, splits.train.ids.length);
    this.sampler = new EpochSampler(splits.train.ids, config.batchSize, config.seed);
    this.indices = indices;
    this.history = history;
    this.paramCount = countParams(config.model).trainable;
    this.evaluator = new Evaluator(gpu, network, readback, splits.norm, config.batchSize);
    this.snapshots = new SnapshotKeeper(network);
  }

  /** Builds the network and the per-step dispatches; ConfigError / GpuCapacityError for impossible configs. */
  static async create(
    gpu: Gpu,
    id: RunId,
    name: string,
    config: RunConfig,
    dataset: GpuDataset,
    readback: ReadbackPool,
    sink: RunSink,
  ): Promise<Run> {
    checkRunConfig(config);
    const b = config.batchSize;
    const trainFrom = config.fineTune?.train === 'head' ? 'fc.weight' : undefined;
    const network = await Network.create(gpu, config.model, {
      batchSize: b,
      seed: config.seed,
      recomputeEvery: recomputeEveryFor(config, gpu),
      trainFrom,
      imageSize: config.imageSize,
    });
    const owned: { destroy(): void }[] = [];
    try {
      // Fewer training images or a subset of classes: the run's own id lists (and labels 0..k-1).
      const restricted = restrictSplits(gpu, id, dataset.splits(config.valCount), config);
      owned.push(...restricted.owned);
      const splits = restricted.splits;
      const target = await network.target('train', b);
      const indices = createStorage(gpu, `${id}.indices`, b * 4);
      owned.push(indices);
      const history = createStorage(gpu, `${id}.metricsHistory`, HISTORY * SLOT_BYTES);
      owned.push(history);
      const pad = config.augment ? 4 : 0;
      const aug = await createBatchInput(
        gpu,
        `${id}.augment`,
        { batch: b, mean: splits.norm.mean, std: splits.norm.std, pad, flip: config.augment },
        splits.train,
        indices,
        target,
      );
      owned.push(aug);
      const probe = await LayerNormProbe.create(gpu, id, network);
      owned.push({ destroy: () => probe.destroy() });
      const run = new Run(gpu, id, name, config, network, dataset, splits, target, aug, probe, indices, history, readback, sink);
      run.owned.push(...restricted.owned);
      dataset.retain();
      await run.setStep(0); // the initial state as the first snapshot
      return run;
    } catch (e) {
      owned.forEach((x) => x.destroy());
      network.destroy();
      throw e;
    }
  }

  /**
   * create() inside GPU error scopes, so an allocation that fails on the device (out of memory) or a validation
   * error while building is this run's failure (a TrainerError), not a fault reported later to nobody.
   */
  static async createChecked(
    gpu: Gpu,
    id: RunId,
    name: string,
    config: RunConfig,
    dataset: GpuDataset,
    readback: ReadbackPool,
    sink: RunSink,
  ): Promise<Run> {
    gpu.device.pushErrorScope('out-of-memory');
    gpu.device.pushErrorScope('validation');
    let run: Run | undefined;
    let failure: unknown;
    try {
      run = await Run.create(gpu, id, name, config, dataset, readback, sink);
    } catch (e) {
      failure = e;
    }
    const validation = await gpu.device.popErrorScope();
    const oom = await gpu.device.popErrorScope();
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what create() threw, unchanged
    if (failure) throw failure;
    if (oom || validation) {
      run!.destroy();
      throw oom
        ? new TrainerError(
            'out-of-memory',
            `Not enough GPU memory for '${name}': ${oom.message}`,
            outOfMemoryAdvice(config, recomputeBudget(gpu)),
          )
        : new TrainerError(
            'internal',
            `Building '${name}' failed on the GPU: ${validation!.message}`,
            'Try a smaller batch size; if it persists, report the message.',
          );
    }
    return run!;
  }

  /** Epochs done after `step` steps (fractional). */
  epochAt(step: number): number {
    return step / this.sampler.stepsPerEpoch;
  }

  lrAt(step: number): number {
    return learningRate({ ...this.config, lr: this.lr }, step, this.totalSteps);
  }

  /** Bytes of GPU memory this run holds (its network, graphs and buffers; the shared dataset not counted). */
  gpuBytes(): number {
    const m = this.network.memory();
    return m.persistentBytes + m.activationBytes + this.indices.size + this.history.size;
  }

  /** Records and submits one training step. Synchronous: nothing is awaited. */
  submitStep(): void {
    const s = this.step;
    const q = this.gpu.device.queue;
    q.writeBuffer(this.indices, 0, this.sampler.indices(s));
    this.input.setStep(this.config.seed, s);
    const lr = this.lrAt(s);
    const enc = this.gpu.device.createCommandEncoder({ label: `${this.id}.step` });
    this.input.encode(enc);
    this.network.encodeStep(enc, this.target, 'train', { lr, momentum: this.config.momentum, weightDecay: this.config.weightDecay });
    enc.copyBufferToBuffer(this.target.metrics, 0, this.history, (s % HISTORY) * SLOT_BYTES, SLOT_BYTES);
    this.pending.push({ step: s, lr, epoch: this.epochAt(s + 1) });
    this.step = s + 1;
    const now = performance.now();
    if (this.lastRateAt === 0) this.lastRateAt = now;
    const read = this.pending.length >= HISTORY || now - this.lastFlush >= FLUSH_MS ? this.flushInto(enc) : undefined;
    q.submit([enc.finish()]);
    read?.();
  }

  /** Starts the readback of the steps not yet reported. */
  flush(): void {
    if (this.pending.length === 0 || this.destroyed) return;
    const enc = this.gpu.device.createCommandEncoder({ label: `${this.id}.flush` });
    const read = this.flushInto(enc);
    this.gpu.device.queue.submit([enc.finish()]);
    read();
  }

  /**
   * Reads back every step submitted so far and resolves once their points (and layer norms) have gone to the
   * sink, or were dropped by a rollback or with the device. Call when the run has stopped stepping.
   */
  drain(): Promise<void> {
    this.flush();
    return this.reads;
  }

  /** Starts the throughput clock afresh (after a pause, so idle time does not count). */
  restartClock(): void {
    this.lastRateAt = 0;
    this.ratePending = 0;
  }

  /** Records the copy of the history into a staging buffer; returns what starts the (unawaited) read after the submit. */
  private flushInto(enc: GPUCommandEncoder): () => void {
    const steps = this.pending;
    this.pending = [];
    this.lastFlush = performance.now();
    const staging = this.readback.acquire(HISTORY * SLOT_BYTES);
    enc.copyBufferToBuffer(this.history, 0, staging, 0, HISTORY * SLOT_BYTES);
    // The gradients in the arena are those of the last step recorded (this.step, 1-based).
    let norms: { step: number; read: () => Promise<Norms> } | undefined;
    if (this.step > this.normsStep && this.lastFlush - this.lastNormsAt >= NORMS_MS) {
      norms = { step: this.step, read: this.probe.encode(enc, this.readback) };
      this.normsStep = this.step;
      this.lastNormsAt = this.lastFlush;
    }
    return () => this.read(staging, steps, norms);
  }

  private read(staging: GPUBuffer, steps: Pending[], norms: { step: number; read: () => Promise<Norms> } | undefined): void {
    const batch = this.config.batchSize;
    const generation = this.generation;
    const mapped = this.readback.read(staging, HISTORY * SLOT_BYTES);
    // Both maps start now; their results are handled after the earlier readbacks' (rejections: the device was
    // lost or the run deleted, which the trainer reports).
    const normsRead = norms?.read();
    normsRead?.catch(() => undefined);
    const handled = this.reads
      .then(() => mapped)
      .then(
        async (buf) => {
          if (this.destroyed || generation !== this.generation) return;
          const h = new Float32Array(buf);
          const now = performance.now();
          this.ratePending += steps.length;
          const dt = now - this.lastRateAt;
          const imagesPerSec = dt > 0 ? (this.ratePending * batch * 1000) / dt : 0;
          this.lastRateAt = now;
          this.ratePending = 0;
          const gpuBytes = this.gpuBytes();
          const points: MetricPoint[] = [];
          let bad: number | undefined;
          for (const p of steps) {
            const slot = (p.step % HISTORY) * 2;
            const loss = h[slot];
            if (bad !== undefined) break; // nothing after the first bad step: it is rolled back
            if (!Number.isFinite(loss)) bad = p.step;
            points.push({
              runId: this.id,
              step: p.step + 1,
              epoch: p.epoch,
              lr: p.lr,
              trainLoss: loss,
              trainAcc: h[slot + 1] / batch,
              imagesPerSec,
              gpuBytes,
            });
          }
          this.sink.metrics(points);
          if (bad === undefined) this.snapshots.maybeTake(this.step);
          else if (!this.nanReported) {
            this.nanReported = true;
            this.sink.nonFinite(this, bad + 1);
          }
          if (norms && normsRead) {
            // Read even after a bad step (the staging buffer goes back to the pool), reported only without one.
            const n = await normsRead.catch(() => undefined);
            if (n && bad === undefined && !this.destroyed && generation === this.generation)
              this.sink.layerNorms({ runId: this.id, step: norms.step, layers: this.probe.layers, ...n });
          }
        },
        () => undefined,
      );
    this.reads = handled;
  }

  /** Allows another non-finite-loss report (after the user resumes a run that hit one). */
  clearNonFinite(): void {
    this.nanReported = false;
  }

  /**
   * After building or loading a checkpoint into the network: continue from `step`. Settles once the state is the
   * snapshot a non-finite loss goes back to (so one exists before the first step, whenever readbacks arrive).
   */
  setStep(step: number): Promise<void> {
    this.step = step;
    this.pending = [];
    return this.snapshots.take(step, true);
  }

  /** Takes a snapshot of the state after the steps submitted so far (when the run pauses). */
  snapshotNow(): void {
    if (!this.destroyed) void this.snapshots.take(this.step);
  }

  /** The last good state kept on the CPU: what a rebuilt run starts from after the device is lost. */
  lastSnapshot(): Snapshot | undefined {
    return this.snapshots.latest;
  }

  /** Puts a snapshot of a run with this config (taken on a lost device) into this one and continues from its step. */
  restoreSnapshot(s: Snapshot): void {
    this.network.setState(s.state);
    this.network.setMomentum(s.momentum);
    this.step = s.step;
    this.pending = [];
    this.snapshots.keep(s);
  }

  /**
   * Back to the last snapshot whose state was finite (after a non-finite loss): the network, momentum and step
   * go back; readbacks still in flight are dropped. Returns the step, or undefined when there is no snapshot.
   */
  rollback(): number | undefined {
    const step = this.snapshots.restore();
    if (step === undefined) return undefined;
    this.generation++;
    this.pending = [];
    this.step = step;
    return step;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.evaluator.destroy();
    this.input.destroy();
    this.indices.destroy();
    this.owned.forEach((x) => x.destroy());
    this.history.destroy();
    this.probe.destroy();
    this.network.destroy();
    this.dataset.release();
  }
}
