// A network on a device: its parameter/gradient/momentum/statistics arenas (arenas.ts), its compiled graphs per
// (BN mode, batch size) (targets.ts) and its SGD update (optimiser.ts). The training graph at the configured
// batch is built up front, others on first use. What the network *is* (its graph, initial state, state names)
// comes from src/model.
import type { Gpu } from '../gpu/gpu';
import type { KernelTime } from '../gpu/profiler';
import { ReadbackPool } from '../gpu/readback';
import { resolveConfig, type ModelConfig, type ResolvedConfig } from '../model/config';
import { buildNetGraph, type NetGraph, type NetGraphOptions } from '../model/resnet';
import { initialState } from '../model/init';
import { NetworkArenas, type StateTensor } from './arenas';
import { Sgd, type SgdOptions } from './optimiser';
import { profileTrainStep } from './profile';
import { encodeStep, TRAIN_PHASES, type StepKind } from './step';
import { stepCost, type StepCost } from './costModel';
import { TUNINGS, type Profile, type Tuning } from '../gpu/tuning';
import { imageFloats, StepTargets, type StepTarget } from './targets';
import { trainingBnMode } from '../model/freeze';
import { ResponseProbe, type Responses } from './responses';
import { BnReestimator } from './bnReestimate';
import { bnHistograms, type ChannelStats, type Histogram } from './bnHistogram';
import { arenaRef } from './arenas';
import { classMaps, inputSaliency, type ClassMaps } from './cam';
import type { BufferRef } from '../kernels/kernel';

export class Network {
  readonly config: ResolvedConfig;
  readonly batchSize: number;
  /** Height = width of the images it takes (CIFAR: 32). */
  readonly imageSize: number;
  private readonly state: NetworkArenas;
  private readonly targets: StepTargets;
  private sgd!: Sgd;
  private destroyed = false;
  private readonly readback: ReadbackPool;

  private constructor(
    private readonly gpu: Gpu,
    cfg: ResolvedConfig,
    batchSize: number,
    template: NetGraph,
    recomputeEvery: number,
    trainFrom: string | undefined,
    imageSize: number,
  ) {
    this.config = cfg;
    this.batchSize = batchSize;
    this.imageSize = imageSize;
    this.state = new NetworkArenas(gpu, template);
    this.readback = new ReadbackPool(gpu);
    this.targets = new StepTargets(gpu, cfg, batchSize, template, this.state, recomputeEvery, trainFrom, imageSize);
  }

  /** `recomputeEvery`: activation recomputation, keeping every this many blocks' output (0 or absent: off). */
  /**
   * `trainFrom`: SGD updates only the parameters from this one on (state-dict order; 'fc.weight': the head); the
   * layers before it are frozen, BatchNorm included (eval mode: its running statistics are used and not updated).
   */
  static async create(
    gpu: Gpu,
    config: ModelConfig,
    opts: { batchSize: number; seed: number; recomputeEvery?: number; trainFrom?: string; imageSize?: number },
  ): Promise<Network> {
    const cfg = resolveConfig(config);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
      throw new Error(`batch size must be a positive integer, not ${opts.batchSize}`);
    const imageSize = opts.imageSize ?? 32;
    const template = buildNetGraph(cfg, opts.batchSize, trainingBnMode('train', opts.trainFrom), { imageSize });
    const net = new Network(gpu, cfg, opts.batchSize, template, opts.recomputeEvery ?? 0, opts.trainFrom, imageSize);
    try {
      net.setState(initialState(template.b.graph, template.stateOrder, opts.seed));
      net.sgd = await Sgd.create(gpu, net.state, opts.trainFrom);
      await net.target('train', opts.batchSize);
    } catch (e) {
      net.destroy();
      throw e;
    }
    return net;
  }

  stateNames(): string[] {
    return this.state.order.map((o) => o.name);
  }

  /** Shapes of every state tensor, in state-dict order. */
  stateShapes(): StateTensor[] {
    return this.state.order.map((o) => ({ ...o, shape: [...o.shape] }));
  }

  getState(): Promise<Record<string, Float32Array>> {
    return this.state.getState();
  }

  setState(state: Record<string, Float32Array>): void {
    this.assertAlive();
    this.state.setState(state);
  }

  /** Momentum buffers of SGD (the optimiser state), by parameter name. */
  getMomentum(): Promise<Record<string, Float32Array>> {
    return this.state.getMomentum();
  }

  setMomentum(state: Record<string, Float32Array>): void {
    this.state.setMomentum(state);
  }

  /** The device buffers of parameters, gradients, momentum and statistics (for probes: they read, never write). */
  arenas(): NetworkArenas {
    this.assertAlive();
    return this.state;
  }

  /** The buffers and compiled graph for (mode, batch), built on first use; `variant`: the analysis lab's graphs. */
  target(mode: 'train' | 'eval', batch: number, variant?: NetGraphOptions): Promise<StepTarget> {
    this.assertAlive();
    return this.targets.get(mode, batch, variant);
  }

  /** Frees the analysis lab's variant graphs (probes, lesions). */
  dropVariants(): void {
    this.targets.dropVariants();
  }

  /**
   * Records one step on `target` into `enc` as one compute pass; nothing is allocated. For 'train', `hyper` sets
   * SGD's learning rate, momentum and weight decay (written to its uniform buffer before the submit).
   */
  encodeStep(enc: GPUCommandEncoder, target: StepTarget, kind: StepKind, hyper?: SgdOptions): void {
    this.assertAlive();
    encodeStep(enc, target, kind, this.sgd, hyper);
  }

  /** `variant` (eval mode): one of the analysis lab's graphs, e.g. `{ lesion: 2 }` with block 2 removed. */
  async forward(
    images: Float32Array,
    labels: Int32Array,
    opts: { bnMode: 'train' | 'eval'; variant?: NetGraphOptions },
  ): Promise<{ loss: number; correct: number; logits: Float32Array }> {
    const b = await this.target(opts.bnMode, labels.length, opts.variant);
    this.upload(b, images, labels);
    const enc = this.gpu.device.createCommandEncoder({ label: 'forward' });
    this.encodeStep(enc, b, 'forward');
    const logitsRef = b.logits;
    const k = this.config.classes;
    const [m, logits] = await this.submitAndRead(enc, [
      { buffer: b.metrics, offset: 0, size: 16 },
      { buffer: logitsRef.buffer, offset: logitsRef.offset ?? 0, size: labels.length * k * 4 },
    ]);
    return { loss: m[0], correct: m[1], logits };
  }

  /** Layer responses and residual ratios (runtime/responses.ts) on a batch, eval-mode BN. */
  async layerResponses(images: Float32Array, labels: Int32Array): Promise<Responses> {
    const b = await this.target('eval', labels.length, { probe: true });
    this.upload(b, images, labels);
    const probe = await ResponseProbe.create(this.gpu, 'responses', b);
    try {
      const enc = this.gpu.device.createCommandEncoder({ label: 'layerResponses' });
      this.encodeStep(enc, b, 'forward');
      const read = probe.encode(enc, this.readback);
      this.gpu.device.queue.submit([enc.finish()]);
      return await read();
    } finally {
      probe.destroy();
    }
  }

  /** Histograms of one 3x3 layer's activations before and after BN (runtime/bnHistogram.ts) on a batch, eval-mode BN. */
  async bnHistograms(
    images: Float32Array,
    labels: Int32Array,
    layer: string,
    bins: number,
  ): Promise<{ before: Histogram; after: Histogram; channels?: ChannelStats }> {
    const b = await this.target('eval', labels.length, { probe: true });
    this.upload(b, images, labels);
    return bnHistograms(this.gpu, this.readback, b, layer, bins, (enc) => this.encodeStep(enc, b, 'forward'), this.runningStats(layer));
  }

  /** Class activation maps (runtime/cam.ts) of one image, eval-mode BN. */
  async classMaps(image: Float32Array): Promise<ClassMaps> {
    const b = await this.target('eval', 1, { probe: true });
    this.upload(b, image, Int32Array.of(0));
    return classMaps(this.gpu, this.readback, b, this.fcWeight(), this.config.classes, (enc) => this.encodeStep(enc, b, 'forward'));
  }

  /** Input-gradient saliency maps of one image, per class (runtime/cam.ts inputSaliency), eval-mode BN. */
  async inputSaliency(image: Float32Array): Promise<number[][]> {
    const b = await this.target('eval', 1, { saliency: true });
    this.upload(b, image, Int32Array.of(0));
    return inputSaliency(this.gpu, this.readback, b, this.config.classes, () => undefined);
  }

  /** The fc layer's weight [classes, C] in the parameter arena. */
  fcWeight(): BufferRef {
    return arenaRef(this.state.params, 'fc.weight');
  }

  /** The running statistics of the BN after convolution `conv` (`layer1.0.conv2` -> `layer1.0.bn2`, `conv1` -> `bn1`). */
  runningStats(conv: string): { mean: BufferRef; variance: BufferRef } | undefined {
    const bn = conv.replace(/conv(\d+)$/, 'bn$1');
    const s = this.state.states;
    if (!s.offsets.has(`${bn}.running_mean`)) return undefined;
    return { mean: arenaRef(s, `${bn}.running_mean`), variance: arenaRef(s, `${bn}.running_var`) };
  }

  /**
   * Replaces the BN running statistics with the average of the batch statistics over `batches` (runtime/
   * bnReestimate.ts); weights unchanged. Each batch has the training batch size.
   */
  async reestimateBn(batches: { images: Float32Array; labels: Int32Array }[]): Promise<void> {
    const b = await this.target('train', this.batchSize);
    const re = await BnReestimator.create(this.gpu, b);
    try {
      for (let k = 1; k <= batches.length; k++) {
        this.upload(b, batches[k - 1].images, batches[k - 1].labels);
        const enc = this.gpu.device.createCommandEncoder({ label: `reestimateBn.${k}` });
        this.encodeStep(enc, b, 'forwardNoUpdate');
        re.record(enc, k);
        this.gpu.device.queue.submit([enc.finish()]);
      }
      await this.gpu.device.queue.onSubmittedWorkDone();
    } finally {
      re.destroy();
    }
  }

  async gradients(images: Float32Array, labels: Int32Array): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
    const b = await this.target('train', labels.length);
    this.upload(b, images, labels);
    const enc = this.gpu.device.createCommandEncoder({ label: 'gradients' });
    this.encodeStep(enc, b, 'gradients');
    const grads = this.state.grads;
    const [m, g] = await this.submitAndRead(enc, [
      { buffer: b.metrics, offset: 0, size: 16 },
      { buffer: grads.buffer, offset: 0, size: grads.floats * 4 },
    ]);
    return { loss: m[0], grads: this.state.gradients(g) };
  }

  async trainStep(images: Float32Array, labels: Int32Array, opts: SgdOptions): Promise<{ loss: number; correct: number }> {
    const b = await this.target('train', labels.length);
    this.upload(b, images, labels);
    const enc = this.gpu.device.createCommandEncoder({ label: 'trainStep' });
    this.encodeStep(enc, b, 'train', opts);
    const [m] = await this.submitAndRead(enc, [{ buffer: b.metrics, offset: 0, size: 16 }]);
    return { loss: m[0], correct: m[1] };
  }

  /**
   * One training step with a timestamped pass per node: the GPU time of every node (and of the SGD update).
   * Undefined when the adapter has no timestamp queries.
   */
  async profileTrainStep(images: Float32Array, labels: Int32Array, opts: SgdOptions): Promise<KernelTime[] | undefined> {
    if (!this.gpu.hasTimestamps) return undefined;
    const b = await this.target('train', labels.length);
    this.upload(b, images, labels);
    return profileTrainStep(this.gpu, b, this.sgd, opts);
  }

  /**
   * The static cost model (costModel.ts) of one training step at the network's batch size: the modelled FLOPs
   * and traffic of every dispatch against the graph's lower bound. SGD reads parameters, gradients and
   * momentum and writes parameters and momentum, so its bound is 5 floats a parameter.
   */
  async costModel(): Promise<StepCost> {
    const t = await this.target('train', this.batchSize);
    const sgd = { kind: 'sgd', dispatches: [this.sgd.dispatch], lowerBoundBytes: 5 * 4 * this.state.params.floats };
    return stepCost(t.compiled.graph, t.compiled.lowered, TRAIN_PHASES, [sgd]);
  }

  /** Bytes: parameters, gradients, momentum and statistics, plus the planned activations of every compiled graph. */
  memory(): { persistentBytes: number; activationBytes: number; naiveActivationBytes: number } {
    return { persistentBytes: this.state.bytes(), ...this.targets.activationBytes() };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.targets.destroy();
    this.sgd.destroy();
    this.state.destroy();
    this.readback.destroy();
  }

  // --- internals ---

  private assertAlive() {
    if (this.destroyed) throw new Error('this network was destroyed');
  }

  private upload(b: StepTarget, images: Float32Array, labels: Int32Array) {
    const per = imageFloats(this.imageSize);
    if (images.length !== labels.length * per) {
      throw new Error(
        `images hold ${images.length} floats; ${labels.length} labels need ${labels.length * per} (N x 3 x ${this.imageSize} x ${this.imageSize})`,
      );
    }
    for (const l of labels)
      if (!(l >= 0 && l < this.config.classes)) throw new Error(`label ${l} is outside 0..${this.config.classes - 1}`);
    const q = this.gpu.device.queue;
    q.writeBuffer(b.images, 0, images.buffer, images.byteOffset, images.byteLength);
    q.writeBuffer(b.labels, 0, labels.buffer, labels.byteOffset, labels.byteLength);
  }

  /** Copies the given ranges into pooled mappable buffers, submits, and returns them as float arrays. */
  private async submitAndRead(
    enc: GPUCommandEncoder,
    ranges: { buffer: GPUBuffer; offset: number; size: number }[],
  ): Promise<Float32Array[]> {
    const staging = ranges.map((r) => this.readback.acquire(r.size));
    ranges.forEach((r, i) => enc.copyBufferToBuffer(r.buffer, r.offset, staging[i], 0, Math.ceil(r.size / 4) * 4));
    this.gpu.device.queue.submit([enc.finish()]);
    return Promise.all(staging.map(async (s, i) => new Float32Array(await this.readback.read(s, ranges[i].size))));
  }
}

/**
 * The cost model of a training step of `config` at `batch` as `tuning` (a profile, or fields on top of the
 * adapter's) would run it: compiled on `gpu` (e.g. the 'gpu' profile on SwiftShader), never run.
 */
export async function modelStepCost(gpu: Gpu, config: ModelConfig, batch: number, tuning: Profile | Partial<Tuning>): Promise<StepCost> {
  const t = typeof tuning === 'string' ? TUNINGS[tuning] : { ...gpu.tuning, ...tuning };
  const net = await Network.create({ ...gpu, tuning: t, layers: undefined }, config, { batchSize: batch, seed: 0 });
  try {
    return await net.costModel();
  } finally {
    net.destroy();
  }
}
