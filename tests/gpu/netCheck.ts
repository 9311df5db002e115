// The GPU-vs-float64 checks of whole networks, shared by network.test.ts and networkDeep.test.ts.
import { expect } from 'vitest';
import { buildNetwork, type Engine, type ModelConfig, type Network } from '../../src/index';
import { batch, expectScalarClose, referenceFromState, type Phase, type Reference, type ReluOutputs, RELU_TIE } from './netReference';
import { expectMaxClose, expectTensorClose } from '../support/close';

/**
 * Every parameter gradient against the float64 reference: as a whole (error norm against the reference's norm),
 * and each element to its own relative tolerance plus a floor of a small fraction of the tensor's RMS, so a small
 * element that is zero or of the wrong sign fails unless it is below about 1e-4 of the RMS (the old bound, 2e-3 of
 * the tensor's largest value, let any element below that be anything). Measured on SwiftShader, both tuning
 * profiles, every network of network.test.ts and networkDeep.test.ts: norm error at most 8.0e-6 and floor at most
 * 2.4e-5 x RMS (plain-20, whose float32 sums cancel most); the reports print both per network.
 */
export const GRAD_TOL = { normRel: 1e-4, rtol: 1e-3, floor: 2e-4 };

/**
 * The GPU's output of every fused ReLU of the train graph's forward on this batch, read after a forward-only pass
 * (no running-statistics update, so the state is unchanged). Each is still in its slot then: the backward's ReLU
 * gradient reads it, so the planner gives its slot to nothing else before.
 */
export async function gpuReluOutputs(eng: Engine, network: Network, images: Float32Array, labels: Int32Array): Promise<ReluOutputs> {
  const { device } = eng.gpu;
  const t = await network.target('train', labels.length);
  device.queue.writeBuffer(t.images, 0, images.buffer, images.byteOffset, images.byteLength);
  device.queue.writeBuffer(t.labels, 0, labels.buffer, labels.byteOffset, labels.byteLength);
  const g = t.compiled.graph;
  const outs = g.nodes.filter((n) => n.phase === 'forward' && (n.attrs as { relu?: boolean }).relu).map((n) => g.tensors[n.outputs[0]]);
  const sizes = outs.map((o) => o.shape.reduce((a, b) => a * b, 1) * 4);
  const staging = device.createBuffer({ size: sizes.reduce((a, b) => a + b, 0), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const enc = device.createCommandEncoder({ label: 'gpuReluOutputs' });
    const pass = enc.beginComputePass();
    t.compiled.record(pass, new Set(['forward']));
    pass.end();
    let at = 0;
    outs.forEach((o, k) => {
      const ref = t.compiled.refs.get(o.id)!;
      enc.copyBufferToBuffer(ref.buffer, ref.offset ?? 0, staging, at, sizes[k]);
      at += sizes[k];
    });
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    const result: ReluOutputs = new Map();
    at = 0;
    outs.forEach((o, k) => {
      result.set(o.name, all.subarray(at / 4, (at + sizes[k]) / 4));
      at += sizes[k];
    });
    return result;
  } finally {
    staging.destroy();
  }
}

/**
 * The CPU reference for `network`'s current state. With a backward phase, it takes the GPU's side of any float32
 * ReLU tie (RELU_TIE in netReference.ts): a gradient check compares the arithmetic, not which side of zero a
 * rounding error fell.
 */
export async function reference(
  eng: Engine,
  network: Network,
  cfg: ModelConfig,
  images: Float32Array,
  labels: Int32Array,
  bnMode: 'train' | 'eval',
  phases: readonly Phase[],
): Promise<Reference> {
  const relu = bnMode === 'train' && phases.includes('backward') ? await gpuReluOutputs(eng, network, images, labels) : undefined;
  return expectReluAgrees(referenceFromState(cfg, await network.getState(), images, labels, bnMode, phases, relu));
}

/** The GPU's ReLU outputs within half of the tie band: a wider error would make the band excuse real flips. */
export function expectReluAgrees(ref: Reference): Reference {
  if (ref.relu) expect(ref.relu.error, 'ReLU outputs x layer RMS').toBeLessThan(RELU_TIE / 2);
  return ref;
}

export interface GradientReport {
  loss: number;
  logits: number;
  /** The largest of the per-tensor gradient errors (||error|| / ||reference||), and which tensor it was. */
  grad: number;
  worstGrad: string;
  /** The largest absolute floor any element needed beyond GRAD_TOL.rtol (in units of its tensor's RMS). */
  floor: number;
  tensors: number;
  /** ReLU ties whose side the reference took from the GPU, and the GPU's ReLU outputs' largest error (x layer RMS). */
  relu: { ties: number; error: number };
  /** Planned activation bytes of the compiled graphs, and what one buffer per activation would take. */
  memory: { activationBytes: number; naiveActivationBytes: number };
}

/** Loss, logits and every parameter gradient of `cfg` on `eng` at batch `n`, against the float64 reference. */
export async function checkGradients(
  eng: Engine,
  cfg: ModelConfig,
  n: number,
  opts: { seed?: number; dataSeed?: number } = {},
): Promise<GradientReport> {
  const network = await buildNetwork(eng, cfg, { batchSize: n, seed: opts.seed ?? 3 });
  try {
    const { images, labels } = batch(opts.dataSeed ?? 11, n);
    // With the running update too (it changes no gradient), so the first step of a train-step test on the same
    // network and batch finds this reference in the memo.
    const ref = await reference(eng, network, cfg, images, labels, 'train', ['forward', 'running', 'backward']);
    const fwd = await network.forward(images, labels, { bnMode: 'train' });
    const loss = expectScalarClose('forward loss', fwd.loss, ref.loss, 1e-4);
    expect(fwd.correct).toBe(ref.correct);
    const logits = expectMaxClose('logits', fwd.logits, ref.logits, 1e-4);
    const g = await network.gradients(images, labels);
    expectScalarClose('gradients loss', g.loss, ref.loss, 1e-4);
    expect(Object.keys(g.grads).sort()).toEqual(Object.keys(ref.grads).sort());
    const report: GradientReport = {
      ...{ loss, logits, grad: 0, worstGrad: '', floor: 0, tensors: 0, memory: network.memory() },
      relu: { ties: ref.relu!.ties.length, error: ref.relu!.error },
    };
    for (const name of Object.keys(ref.grads)) {
      const e = expectTensorClose(`d ${name}`, g.grads[name], ref.grads[name], GRAD_TOL);
      report.tensors++;
      if (e.normRel >= report.grad) {
        report.grad = e.normRel;
        report.worstGrad = name;
      }
      report.floor = Math.max(report.floor, e.floorNeeded);
    }
    return report;
  } finally {
    network.destroy();
  }
}
