// The GPU-vs-float64 checks of whole networks, shared by network.test.ts and networkDeep.test.ts.
import { expect } from 'vitest';
import { buildNetwork, type Engine, type ModelConfig, type Network } from '../../src/index';
import { batch, expectScalarClose, referenceFromState, type Phase, type Reference } from './netReference';
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

/** The CPU reference for `network`'s current state. */
export async function reference(
  network: Network,
  cfg: ModelConfig,
  images: Float32Array,
  labels: Int32Array,
  bnMode: 'train' | 'eval',
  phases: readonly Phase[],
): Promise<Reference> {
  return referenceFromState(cfg, await network.getState(), images, labels, bnMode, phases);
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
    const ref = await reference(network, cfg, images, labels, 'train', ['forward', 'running', 'backward']);
    const fwd = await network.forward(images, labels, { bnMode: 'train' });
    const loss = expectScalarClose('forward loss', fwd.loss, ref.loss, 1e-4);
    expect(fwd.correct).toBe(ref.correct);
    const logits = expectMaxClose('logits', fwd.logits, ref.logits, 1e-4);
    const g = await network.gradients(images, labels);
    expectScalarClose('gradients loss', g.loss, ref.loss, 1e-4);
    expect(Object.keys(g.grads).sort()).toEqual(Object.keys(ref.grads).sort());
    const report: GradientReport = { loss, logits, grad: 0, worstGrad: '', floor: 0, tensors: 0, memory: network.memory() };
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
