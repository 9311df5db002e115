// A built network on the GPU: parameter/gradient/momentum arenas (llm.c style: one buffer each, every tensor at a
// 256-byte aligned offset), BN statistics in their own arena (SGD must not touch them), and compiled graphs per
// (BN mode, batch size): the training graph at the configured batch is built up front, others on first use.
import type { Gpu } from '../gpu/gpu';
import { createStorage, readBuffer } from '../gpu/buffers';
import { type BufferRef } from '../kernels/kernel';
import { sgd, setSgdHyper } from '../kernels/sgd';
import { sumSquares } from '../kernels/sumsq';
import type { Dispatch } from '../kernels/kernel';
import { record } from '../kernels/kernel';
import { appendBackward } from '../graph/autodiff';
import { compileGraph, type CompiledGraph } from '../graph/executor';
import { numel, type Phase, type Tensor } from '../graph/ir';
import { resolveConfig, type ModelConfig, type ResolvedConfig } from './config';
import { buildNetGraph, type NetGraph } from './resnet';
import { initialState } from './init';
import { Profiler, type KernelTime } from '../gpu/profiler';
import { ReadbackPool } from '../gpu/readback';

const ALIGN_FLOATS = 64; // 256 bytes: minStorageBufferOffsetAlignment
const IMAGE_FLOATS = 3 * 32 * 32;

export interface SgdOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
}

interface Arena {
  buffer: GPUBuffer;
  offsets: Map<string, { offset: number; count: number }>;
  floats: number;
}

function makeArena(gpu: Gpu, label: string, entries: { name: string; count: number }[]): Arena {
  const offsets = new Map<string, { offset: number; count: number }>();
  let at = 0;
  for (const e of entries) {
    offsets.set(e.name, { offset: at, count: e.count });
    at += Math.ceil(e.count / ALIGN_FLOATS) * ALIGN_FLOATS;
  }
  const floats = Math.max(at, ALIGN_FLOATS);
  return { buffer: createStorage(gpu, label, floats * 4), offsets, floats };
}

/**
 * Where layerNormsDispatches writes: gradient sums at float 0, weight sums at `weightAt` (a storage binding
 * offset must be a multiple of 256 bytes); `floats` in all.
 */
export function layerNormsLayout(layers: number): { weightAt: number; floats: number } {
  const weightAt = Math.ceil(Math.max(layers, 1) / ALIGN_FLOATS) * ALIGN_FLOATS;
  return { weightAt, floats: 2 * weightAt };
}

/** A compiled graph and its input/output buffers, for one (BN mode, batch size). */
export interface StepTarget {
  mode: 'train' | 'eval';
  batch: number;
  /** [batch, 3, 32, 32] float32: the trainer's augmentation kernel writes here. */
  images: GPUBuffer;
  /** [batch] int32 labels. */
  labels: GPUBuffer;
  /** 4 floats: mean loss, correct count, and running sums of loss and correct (zero them to start summing). */
  metrics: GPUBuffer;
  /** [batch, classes] float32 logits of the last forward pass. */
  logits: BufferRef;
  net: NetGraph;
  compiled: CompiledGraph;
}

/** What a recorded step does: 'train' = forward + BN running update + backward + SGD; 'gradients' = forward + backward;
 * 'forward' = forward (+ BN running update in train mode, as PyTorch's forward in train mode does);
 * 'forwardNoUpdate' = forward only, running statistics untouched (evaluation with train-mode BN). */
export type StepKind = 'train' | 'gradients' | 'forward' | 'forwardNoUpdate';
type Built = StepTarget;

const PH_TRAIN: ReadonlySet<Phase> = new Set(['forward', 'running', 'backward']);
const PH_GRAD: ReadonlySet<Phase> = new Set(['forward', 'backward']);
const PH_FWD_TRAIN: ReadonlySet<Phase> = new Set(['forward', 'running']);
const PH_FWD: ReadonlySet<Phase> = new Set(['forward']);

export class Network {
  readonly config: ResolvedConfig;
  readonly batchSize: number;
  private readonly params: Arena;
  private readonly grads: Arena;
  private readonly momentum: Arena;
  private readonly states: Arena;
  private readonly order: { name: string; shape: number[]; kind: 'param' | 'state' }[];
  private readonly built = new Map<string, Built>();
  private sgdDispatch!: Dispatch;
  private lastHyper = '';
  private destroyed = false;
  private readonly readback: ReadbackPool;

  private constructor(
    private readonly gpu: Gpu,
    cfg: ResolvedConfig,
    batchSize: number,
    private readonly template: NetGraph,
  ) {
    this.config = cfg;
    this.batchSize = batchSize;
    const t = template.b.graph.tensors;
    this.order = template.stateOrder.map((p) => ({ name: p.name, shape: t[p.id].shape, kind: t[p.id].role === 'param' ? 'param' : 'state' }));
    const pe = template.params.map((p) => ({ name: p.name, count: numel(t[p.id].shape) }));
    const se = template.states.map((p) => ({ name: p.name, count: numel(t[p.id].shape) }));
    this.params = makeArena(gpu, 'params', pe);
    this.grads = makeArena(gpu, 'grads', pe);
    this.momentum = makeArena(gpu, 'momentum', pe);
    this.states = makeArena(gpu, 'bn_stats', se);
    this.readback = new ReadbackPool(gpu);
  }

  static async create(gpu: Gpu, config: ModelConfig, opts: { batchSize: number; seed: number }): Promise<Network> {
    const cfg = resolveConfig(config);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`batch size must be a positive integer, not ${opts.batchSize}`);
    const template = buildNetGraph(cfg, opts.batchSize, 'train');
    const net = new Network(gpu, cfg, opts.batchSize, template);
    try {
      net.setState(initialState(template.b.graph, template.stateOrder, opts.seed));
      net.sgdDispatch = await sgd(gpu, 'sgd', net.params.floats, { buffer: net.params.buffer }, { buffer: net.grads.buffer }, { buffer: net.momentum.buffer });
      await net.graphFor('train', opts.batchSize);
    } catch (e) {
      net.destroy();
      throw e;
    }
    return net;
  }

  stateNames(): string[] {
    return this.order.map((o) => o.name);
  }

  /** Shapes of every state tensor, in state-dict order. */
  stateShapes(): { name: string; shape: number[]; kind: 'param' | 'state' }[] {
    return this.order.map((o) => ({ ...o, shape: [...o.shape] }));
  }

  async getState(): Promise<Record<string, Float32Array>> {
    const [p, s] = await Promise.all([this.readArena(this.params), this.readArena(this.states)]);
    const out: Record<string, Float32Array> = {};
    for (const o of this.order) {
      const arena = o.kind === 'param' ? this.params : this.states;
      const at = arena.offsets.get(o.name)!;
      out[o.name] = (o.kind === 'param' ? p : s).slice(at.offset, at.offset + at.count);
    }
    return out;
  }

  setState(state: Record<string, Float32Array>): void {
    this.assertAlive();
    for (const [name, data] of Object.entries(state)) {
      const o = this.order.find((e) => e.name === name);
      if (!o) throw new Error(`setState: this network has no tensor named '${name}'`);
      const arena = o.kind === 'param' ? this.params : this.states;
      const at = arena.offsets.get(name)!;
      if (data.length !== at.count) throw new Error(`setState: ${name} has ${data.length} values, expected ${at.count} (shape [${o.shape}])`);
      this.gpu.device.queue.writeBuffer(arena.buffer, at.offset * 4, data.buffer, data.byteOffset, data.byteLength);
    }
  }

  /** Momentum buffers of SGD (the optimiser state), by parameter name. */
  async getMomentum(): Promise<Record<string, Float32Array>> {
    const m = await this.readArena(this.momentum);
    const out: Record<string, Float32Array> = {};
    for (const [name, at] of this.momentum.offsets) out[name] = m.slice(at.offset, at.offset + at.count);
    return out;
  }

  setMomentum(state: Record<string, Float32Array>): void {
    for (const [name, data] of Object.entries(state)) {
      const at = this.momentum.offsets.get(name);
      if (!at || at.count !== data.length) throw new Error(`setMomentum: bad tensor '${name}'`);
      this.gpu.device.queue.writeBuffer(this.momentum.buffer, at.offset * 4, data.buffer, data.byteOffset, data.byteLength);
    }
  }

  /** The buffers and compiled graph for (mode, batch), built on first use. */
  target(mode: 'train' | 'eval', batch: number): Promise<StepTarget> {
    return this.graphFor(mode, batch);
  }

  /**
   * Records one step on `target` into `enc` as one compute pass; nothing is allocated. For 'train', `hyper` sets
   * SGD's learning rate, momentum and weight decay (written to its uniform buffer before the submit).
   */
  encodeStep(enc: GPUCommandEncoder, target: StepTarget, kind: StepKind, hyper?: SgdOptions): void {
    this.assertAlive();
    if ((kind === 'train' || kind === 'gradients') && target.mode !== 'train') throw new Error(`a ${kind} step needs a train-mode target`);
    if (kind === 'train') {
      if (!hyper) throw new Error('a train step needs learning rate, momentum and weight decay');
      this.setHyper(hyper);
    }
    const phases = kind === 'train' ? PH_TRAIN : kind === 'gradients' ? PH_GRAD : kind === 'forward' && target.mode === 'train' ? PH_FWD_TRAIN : PH_FWD;
    const pass = enc.beginComputePass({ label: `${kind}.b${target.batch}` });
    target.compiled.record(pass, phases);
    if (kind === 'train') record(pass, [this.sgdDispatch]);
    pass.end();
  }

  async forward(images: Float32Array, labels: Int32Array, opts: { bnMode: 'train' | 'eval' }): Promise<{ loss: number; correct: number; logits: Float32Array }> {
    const b = await this.graphFor(opts.bnMode, labels.length);
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

  async gradients(images: Float32Array, labels: Int32Array): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
    const b = await this.graphFor('train', labels.length);
    this.upload(b, images, labels);
    const enc = this.gpu.device.createCommandEncoder({ label: 'gradients' });
    this.encodeStep(enc, b, 'gradients');
    const [m, g] = await this.submitAndRead(enc, [
      { buffer: b.metrics, offset: 0, size: 16 },
      { buffer: this.grads.buffer, offset: 0, size: this.grads.floats * 4 },
    ]);
    const grads: Record<string, Float32Array> = {};
    for (const [name, at] of this.grads.offsets) grads[name] = g.slice(at.offset, at.offset + at.count);
    return { loss: m[0], grads };
  }

  async trainStep(images: Float32Array, labels: Int32Array, opts: SgdOptions): Promise<{ loss: number; correct: number }> {
    const b = await this.graphFor('train', labels.length);
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
    const b = await this.graphFor('train', labels.length);
    this.upload(b, images, labels);
    this.setHyper(opts);
    const profiler = new Profiler(this.gpu, b.compiled.graph.nodes.length + 1);
    try {
      const enc = this.gpu.device.createCommandEncoder({ label: 'profiled step' });
      b.compiled.recordProfiled(enc, PH_TRAIN, profiler);
      const pass = profiler.pass(enc, 'sgd update');
      record(pass, [this.sgdDispatch]);
      pass.end();
      profiler.resolve(enc);
      this.gpu.device.queue.submit([enc.finish()]);
      return await profiler.read();
    } finally {
      profiler.destroy();
    }
  }

  /** Weight tensors (convolutions and the fc layer: rank 4 and 2), input to output, as layerNorms() reports them. */
  layerNames(): string[] {
    return this.order.filter((o) => o.kind === 'param' && (o.shape.length === 4 || o.shape.length === 2)).map((o) => o.name);
  }

  /**
   * Dispatches that write the per-layer sums of squares of the gradients (floats 0 .. L-1 of `out`) and of the
   * weights (floats `weightAt` ..) for the layers of layerNames(): the last backward pass's gradients, as
   * the train step left them (SGD adds weight decay into the momentum, not into the gradient). `out`
   * holds 2 * weightAt floats, weightAt = layerNormsLayout().weightAt.
   */
  async layerNormsDispatches(label: string, out: GPUBuffer): Promise<Dispatch[]> {
    this.assertAlive();
    const names = this.layerNames();
    const { weightAt } = layerNormsLayout(names.length);
    const segments = (a: Arena) => names.map((n) => a.offsets.get(n)!);
    return Promise.all([
      sumSquares(this.gpu, `${label}.grad`, segments(this.grads), { buffer: this.grads.buffer }, { buffer: out, offset: 0, size: names.length * 4 }),
      sumSquares(this.gpu, `${label}.weight`, segments(this.params), { buffer: this.params.buffer }, { buffer: out, offset: weightAt * 4, size: names.length * 4 }),
    ]);
  }

  /** Bytes: parameters, gradients, momentum and statistics, plus the planned activations of every compiled graph. */
  memory(): { persistentBytes: number; activationBytes: number; naiveActivationBytes: number } {
    let act = 0;
    let naive = 0;
    for (const b of this.built.values()) {
      act += b.compiled.plan.peakBytes;
      naive += b.compiled.plan.naiveBytes;
    }
    const persistentBytes = (this.params.floats * 3 + this.states.floats) * 4;
    return { persistentBytes, activationBytes: act, naiveActivationBytes: naive };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const b of this.built.values()) {
      b.compiled.destroy();
      b.images.destroy();
      b.labels.destroy();
      b.metrics.destroy();
    }
    this.built.clear();
    for (const a of [this.params, this.grads, this.momentum, this.states]) a.buffer.destroy();
    this.readback.destroy();
  }

  // --- internals ---

  private assertAlive() {
    if (this.destroyed) throw new Error('this network was destroyed');
  }

  private async graphFor(mode: 'train' | 'eval', batch: number): Promise<Built> {
    this.assertAlive();
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch of ${batch} images`);
    const key = `${mode}:${batch}`;
    const hit = this.built.get(key);
    if (hit) return hit;
    const net = mode === 'train' && batch === this.batchSize && this.built.size === 0 ? this.template : buildNetGraph(this.config, batch, mode);
    if (mode === 'train') appendBackward(net.b);
    const label = `${mode}${batch}`;
    const images = createStorage(this.gpu, `${label}.images`, batch * IMAGE_FLOATS * 4);
    const labels = createStorage(this.gpu, `${label}.labels`, batch * 4);
    const metrics = createStorage(this.gpu, `${label}.metrics`, 16);
    const gradOwner = new Map<number, string>();
    if (mode === 'train') {
      for (const t of net.b.graph.tensors) if (t.role === 'gradient') gradOwner.set(t.id, t.name.replace(/\.grad$/, ''));
    }
    const persistent = (t: Tensor): BufferRef => {
      switch (t.role) {
        case 'input':
          return { buffer: images };
        case 'labels':
          return { buffer: labels };
        case 'metrics':
          return { buffer: metrics };
        case 'param':
          return this.arenaRef(this.params, t.name);
        case 'state':
          return this.arenaRef(this.states, t.name);
        case 'gradient':
          return this.arenaRef(this.grads, gradOwner.get(t.id)!);
        case 'activation':
          throw new Error(`activation ${t.name} is not persistent`);
        default:
          return t.role satisfies never;
      }
    };
    try {
      const compiled = await compileGraph(this.gpu, net.b.graph, label, persistent, new Set([net.logits]));
      const b: Built = { mode, batch, images, labels, metrics, logits: compiled.refs.get(net.logits)!, net, compiled };
      this.built.set(key, b);
      return b;
    } catch (e) {
      images.destroy();
      labels.destroy();
      metrics.destroy();
      throw e;
    }
  }

  private arenaRef(a: Arena, name: string): BufferRef {
    const at = a.offsets.get(name);
    if (!at) throw new Error(`no arena slot for ${name}`);
    return { buffer: a.buffer, offset: at.offset * 4, size: Math.max(at.count * 4, 16) };
  }

  private upload(b: Built, images: Float32Array, labels: Int32Array) {
    if (images.length !== labels.length * IMAGE_FLOATS) {
      throw new Error(`images hold ${images.length} floats; ${labels.length} labels need ${labels.length * IMAGE_FLOATS} (N x 3 x 32 x 32)`);
    }
    for (const l of labels) if (!(l >= 0 && l < this.config.classes)) throw new Error(`label ${l} is outside 0..${this.config.classes - 1}`);
    const q = this.gpu.device.queue;
    q.writeBuffer(b.images, 0, images.buffer, images.byteOffset, images.byteLength);
    q.writeBuffer(b.labels, 0, labels.buffer, labels.byteOffset, labels.byteLength);
  }

  private setHyper(h: SgdOptions) {
    const key = `${h.lr}|${h.momentum}|${h.weightDecay}`;
    if (key === this.lastHyper) return;
    setSgdHyper(this.gpu, this.sgdDispatch, h);
    this.lastHyper = key;
  }

  /** Copies the given ranges into pooled mappable buffers, submits, and returns them as float arrays. */
  private async submitAndRead(enc: GPUCommandEncoder, ranges: { buffer: GPUBuffer; offset: number; size: number }[]): Promise<Float32Array[]> {
    const staging = ranges.map((r) => this.readback.acquire(r.size));
    ranges.forEach((r, i) => enc.copyBufferToBuffer(r.buffer, r.offset, staging[i], 0, Math.ceil(r.size / 4) * 4));
    this.gpu.device.queue.submit([enc.finish()]);
    return Promise.all(staging.map(async (s, i) => new Float32Array(await this.readback.read(s, ranges[i].size))));
  }

  private async readArena(a: Arena): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.gpu, a.buffer, 0, a.floats * 4));
  }
}

