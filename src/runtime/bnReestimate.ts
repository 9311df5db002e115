// "Re-estimate BN statistics": recompute every BatchNorm layer's running mean and variance from N batches without
// touching the weights, as the cumulative average of the batch statistics (PyTorch's momentum=None: the k-th batch
// gets momentum 1/k, so after N batches running = the mean over the batches, the variance unbiased as in
// training). Each batch is a train-mode forward that leaves the running statistics alone ('forwardNoUpdate'),
// then one update dispatch per BN layer reads that forward's batch statistics.
import type { Gpu } from '../gpu/gpu';
import { bnUpdateRunning, setBnMomentum } from '../kernels/batchnorm';
import { record, type BufferRef, type Dispatch } from '../kernels/kernel';
import type { Node } from '../graph/ir';
import type { StepTarget } from './targets';

export class BnReestimator {
  private constructor(
    private readonly gpu: Gpu,
    private readonly dispatches: Dispatch[],
  ) {}

  /**
   * Update dispatches for a train-mode target with backward (the training target): its batch mean and variance
   * tensors live until the backward pass, so after the forward phase they still hold that batch's statistics.
   */
  static async create(gpu: Gpu, target: StepTarget): Promise<BnReestimator> {
    if (target.mode !== 'train') throw new Error('re-estimating BN statistics needs a train-mode target');
    const g = target.compiled.graph;
    if (!g.nodes.some((n) => n.phase === 'backward')) throw new Error('the target has no backward pass to keep its batch statistics alive');
    const ref = (id: number): BufferRef => target.compiled.refs.get(id)!;
    const updates = g.nodes.filter((n): n is Node<'bnRunningUpdate'> => n.kind === 'bnRunningUpdate');
    const dispatches = await Promise.all(
      updates.map((n) => {
        const [mean, variance, rm, rv] = n.inputs.map(ref);
        return bnUpdateRunning(
          gpu,
          `reestimate.${n.name}`,
          { n: n.attrs.count, c: g.tensors[n.inputs[0]].shape[0], s: 1 },
          mean,
          variance,
          rm,
          rv,
        );
      }),
    );
    return new BnReestimator(gpu, dispatches);
  }

  /** BN layers updated. */
  get layers(): number {
    return this.dispatches.length;
  }

  /**
   * Records the updates for the k-th batch (1-based) after its forward ('forwardNoUpdate') on the same encoder.
   * Submit that encoder before recording batch k+1: the momentum is written to the queue now.
   */
  record(enc: GPUCommandEncoder, k: number): void {
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`batch ${k}: batches count from 1`);
    for (const d of this.dispatches) setBnMomentum(this.gpu, d, 1 / k);
    const pass = enc.beginComputePass({ label: `reestimate.${k}` });
    record(pass, this.dispatches);
    pass.end();
  }

  destroy(): void {
    for (const d of this.dispatches) d.uniforms?.destroy();
  }
}
