// Compiled graphs of a network, one per (BN mode, batch size), with their input, label and metrics buffers: the
// training graph at the network's batch size is built up front, the others on first use, and all of them bind
// the same parameter, gradient and statistics arenas.
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import type { BufferRef } from '../kernels/kernel';
import { appendBackward } from '../graph/autodiff';
import { compileGraph, type CompiledGraph } from '../graph/executor';
import type { Tensor } from '../graph/ir';
import type { ResolvedConfig } from '../model/config';
import { buildNetGraph, checkpointsEvery, type NetGraph, type NetGraphOptions } from '../model/resnet';
import { trainedParams, trainingBnMode } from '../model/freeze';
import { arenaRef, type NetworkArenas } from './arenas';

/** Floats of one square image of `size` pixels, [3, size, size] (CIFAR: 32). */
export const imageFloats = (size: number) => 3 * size * size;

/** A compiled graph and its input/output buffers, for one (BN mode, batch size). */
export interface StepTarget {
  mode: 'train' | 'eval';
  batch: number;
  /** S: the images' height = width. */
  imageSize: number;
  /** [batch, 3, S, S] float32 (S: the network's image size): the trainer's augmentation kernel writes here. */
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

export class StepTargets {
  private readonly built = new Map<string, StepTarget>();

  /** `template` is the training graph at `batchSize`; it becomes the first target built. */
  constructor(
    private readonly gpu: Gpu,
    private readonly config: ResolvedConfig,
    private readonly batchSize: number,
    private readonly template: NetGraph,
    private readonly arenas: NetworkArenas,
    /** Activation recomputation in training graphs: keep every this many blocks' output (0: off). */
    private readonly recomputeEvery = 0,
    /** Fine-tuning from this parameter on (state-dict order; see trainedParams): the rest is frozen, BN included. */
    private readonly trainFrom?: string,
    /** Height = width of the input images. */
    private readonly imageSize = 32,
  ) {}

  /**
   * The target for (mode, batch), compiled on first use; `variant` (eval mode only) gives the analysis lab's
   * graphs (probes or a removed block: resnet.ts NetGraphOptions), whose probed tensors stay readable after a step.
   */
  async get(mode: 'train' | 'eval', batch: number, variant?: NetGraphOptions): Promise<StepTarget> {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch of ${batch} images`);
    if (variant && mode !== 'eval') throw new Error('graph variants are eval-mode graphs');
    const key = `${mode}:${batch}${variantKey(variant)}`;
    const hit = this.built.get(key);
    if (hit) return hit;
    const net = variant
      ? buildNetGraph(this.config, batch, mode, { ...variant, imageSize: this.imageSize })
      : mode === 'train' && batch === this.batchSize && this.built.size === 0
        ? this.template
        : buildNetGraph(this.config, batch, trainingBnMode(mode, this.trainFrom), { imageSize: this.imageSize });
    // Analysis variants are small forward/backward passes: no recomputation there.
    if (mode === 'train')
      appendBackward(net.b, {
        checkpoints: variant ? [] : checkpointsEvery(net, this.recomputeEvery),
        params: this.trainFrom === undefined ? undefined : trainedParams(net, this.trainFrom),
      });
    if (variant?.saliency) net.inputGrad = appendBackward(net.b, { wrt: 'input' }).get(net.images);
    const label = `${mode}${batch}`;
    const images = createStorage(this.gpu, `${label}.images`, batch * imageFloats(this.imageSize) * 4);
    const labels = createStorage(this.gpu, `${label}.labels`, batch * 4);
    const metrics = createStorage(this.gpu, `${label}.metrics`, 16);
    const gradOwner = new Map<number, string>();
    if (mode === 'train') {
      for (const t of net.b.graph.tensors) if (t.role === 'gradient') gradOwner.set(t.id, t.name.replace(/\.grad$/, ''));
    }
    const a = this.arenas;
    const persistent = (t: Tensor): BufferRef => {
      switch (t.role) {
        case 'input':
          return { buffer: images };
        case 'labels':
          return { buffer: labels };
        case 'metrics':
          return { buffer: metrics };
        case 'param':
          return arenaRef(a.params, t.name);
        case 'state':
          return arenaRef(a.states, t.name);
        case 'gradient':
          return arenaRef(a.grads, gradOwner.get(t.id)!);
        case 'activation':
          throw new Error(`activation ${t.name} is not persistent`);
        default:
          return t.role satisfies never;
      }
    };
    try {
      const p = net.probes;
      const probed = p
        ? [
            ...p.responses.map((r) => r.id),
            ...p.bnInputs.map((r) => r.id),
            ...p.blocks.flatMap((k) => [k.residual, k.shortcut]),
            p.features,
          ]
        : [];
      const compiled = await compileGraph(
        this.gpu,
        net.b.graph,
        label + variantKey(variant),
        persistent,
        new Set([net.logits, ...probed, ...(net.inputGrad === undefined ? [] : [net.inputGrad])]),
      );
      const b: StepTarget = {
        mode,
        batch,
        imageSize: this.imageSize,
        images,
        labels,
        metrics,
        logits: compiled.refs.get(net.logits)!,
        net,
        compiled,
      };
      this.built.set(key, b);
      return b;
    } catch (e) {
      images.destroy();
      labels.destroy();
      metrics.destroy();
      throw e;
    }
  }

  /** Planned activation bytes of every compiled graph, and what they would take without buffer reuse. */
  activationBytes(): { activationBytes: number; naiveActivationBytes: number } {
    let act = 0;
    let naive = 0;
    for (const b of this.built.values()) {
      act += b.compiled.plan.peakBytes;
      naive += b.compiled.plan.naiveBytes;
    }
    return { activationBytes: act, naiveActivationBytes: naive };
  }

  /** Frees the analysis lab's variant graphs (built again on next use): they are many and used once in a while. */
  dropVariants(): void {
    for (const [key, b] of this.built) {
      if (!key.includes('|')) continue;
      destroyTarget(b);
      this.built.delete(key);
    }
  }

  destroy(): void {
    for (const b of this.built.values()) {
      destroyTarget(b);
    }
    this.built.clear();
  }
}

function destroyTarget(b: StepTarget): void {
  b.compiled.destroy();
  b.images.destroy();
  b.labels.destroy();
  b.metrics.destroy();
}

/** '' for the plain graph; '|probe', '|probesaliency', '|lesion3' for the lab's variants. */
const variantKey = (v?: NetGraphOptions): string =>
  v ? `|${v.probe ? 'probe' : ''}${v.saliency ? 'saliency' : ''}${v.lesion !== undefined ? `lesion${v.lesion}` : ''}` : '';
