// The GPU-vs-float64 checks of whole networks, shared by network.test.ts and networkDeep.test.ts.
import { expect } from 'vitest';
import { buildNetwork, type Engine, type ModelConfig, type Network } from '../../src/index';
import { batch, expectScalarClose, referenceFromState, type Phase, type Reference } from './netReference';
import { expectMaxClose } from '../support/close';

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
  /** The largest of the per-tensor gradient errors, and which tensor it was. */
  grad: number;
  worstGrad: string;
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
    const report: GradientReport = { loss, logits, grad: 0, worstGrad: '', tensors: 0, memory: network.memory() };
    for (const name of Object.keys(ref.grads)) {
      const e = expectMaxClose(`d ${name}`, g.grads[name], ref.grads[name], 2e-3);
      report.tensors++;
      if (e >= report.grad) {
        report.grad = e;
        report.worstGrad = name;
      }
    }
    return report;
  } finally {
    network.destroy();
  }
}
