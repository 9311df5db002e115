// What a training step of a network will allocate, planned without a GPU: the same graph, autodiff and liveness
// planner the executor compiles, with and without activation recomputation, and what the recomputation costs in
// extra forward multiply-adds. Lets the UI show the memory meter for a config before anything is built.
import { appendBackward } from '../graph/autodiff';
import { numel, type Graph, type Node } from '../graph/ir';
import { nodeTuning, scratchBytes } from '../graph/ops';
import { assignSlots, graphLifetimes } from '../graph/planner';
import type { TuningSource } from '../gpu/tuning';
import { resolveConfig, stageBlocks, type ModelConfig } from '../model/config';
import { countParams } from '../model/counts';
import { buildNetGraph, checkpointsEvery } from '../model/resnet';

export interface TrainingPlan {
  /** Blocks per segment recomputed in backward (0: no recomputation). */
  every: number;
  /** Planned activation and scratch bytes of one training step (the slots the executor creates). */
  activationBytes: number;
  /** Parameters, gradients, momentum and BN statistics (float32). */
  persistentBytes: number;
  /** Multiply-adds of the forward pass, and of its recomputed copies in the backward pass. */
  forwardMacs: number;
  recomputeMacs: number;
}

/** Multiply-adds of a convolution or fully connected node (the rest is well under 1%, as in countFlops). */
function macs(g: Graph, n: Node): number {
  if (n.kind !== 'conv2d' && n.kind !== 'linear') return 0;
  const w = g.tensors[n.inputs[1]].shape;
  return numel(g.tensors[n.outputs[0]].shape) * (n.kind === 'conv2d' ? w[1] * w[2] * w[3] : w[1]);
}

/**
 * Plans the training graph at `batch` with the output of every `every`-th block kept (0: no recomputation), on
 * images of `imageSize` pixels.
 */
export function planTraining(model: ModelConfig, batch: number, every: number, tuning?: TuningSource, imageSize = 32): TrainingPlan {
  const cfg = resolveConfig(model);
  const net = buildNetGraph(cfg, batch, 'train', { imageSize });
  const forward = new Set(net.b.graph.nodes.map((n) => n.id));
  appendBackward(net.b, { checkpoints: checkpointsEvery(net, every) });
  const g = net.b.graph;
  const plan = assignSlots(
    graphLifetimes(g, g.nodes, (n) => scratchBytes(g, n, tuning && nodeTuning(tuning, g, n)), new Set([net.logits])),
  );
  let forwardMacs = 0;
  let recomputeMacs = 0;
  for (const n of g.nodes) {
    if (forward.has(n.id)) forwardMacs += macs(g, n);
    else if (n.name.endsWith('.re')) recomputeMacs += macs(g, n);
  }
  const p = countParams(cfg);
  return {
    every: every >= 1 ? every : 0,
    activationBytes: plan.peakBytes,
    persistentBytes: 4 * (3 * p.trainable + p.buffers),
    forwardMacs,
    recomputeMacs,
  };
}

/** The largest batch of at most `batch` whose plan (segments of `every` blocks) fits `budgetBytes`; 0 if none does. */
export function largestBatch(
  model: ModelConfig,
  batch: number,
  every: number,
  budgetBytes: number,
  tuning?: TuningSource,
  imageSize = 32,
): number {
  const fits = (b: number) => {
    const p = planTraining(model, b, every, tuning, imageSize);
    return p.activationBytes + p.persistentBytes <= budgetBytes;
  };
  if (fits(batch)) return batch;
  let lo = 0; // fits (0: nothing known to)
  let hi = batch; // does not fit
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Blocks in the whole net (3 stages of n). */
export const blockCount = (model: ModelConfig) => stageBlocks(resolveConfig(model)).reduce((a, b) => a + b, 0);

/** The segment length that minimises peak memory to first order: about sqrt(blocks). */
export const sqrtEvery = (model: ModelConfig) => Math.max(1, Math.round(Math.sqrt(blockCount(model))));

/**
 * 'auto': recompute (segments of ~sqrt(blocks)) only when the plan without it would not fit `budgetBytes` (the
 * adapter's limits); a number: that segment length (0: off).
 */
export function chooseRecompute(
  model: ModelConfig,
  batch: number,
  setting: 'auto' | number | undefined,
  budgetBytes: number,
  tuning?: TuningSource,
  imageSize = 32,
): number {
  if (setting === undefined) return 0;
  if (setting !== 'auto') return Math.max(0, Math.floor(setting));
  const plain = planTraining(model, batch, 0, tuning, imageSize);
  return plain.activationBytes + plain.persistentBytes <= budgetBytes ? 0 : sqrtEvery(model);
}
