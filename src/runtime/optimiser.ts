// SGD as torch.optim.SGD (momentum, weight decay added to the gradient): one dispatch over the whole parameter,
// gradient and momentum arenas, recorded after the backward pass of a training step.
import type { Gpu } from '../gpu/gpu';
import { record, type Dispatch } from '../kernels/kernel';
import { sgd, setSgdHyper } from '../kernels/sgd';
import type { NetworkArenas } from './arenas';

export interface SgdOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
}

export class Sgd {
  private lastHyper = '';

  private constructor(
    private readonly gpu: Gpu,
    /** The one dispatch of the update (read by the cost model). */
    readonly dispatch: Dispatch,
  ) {}

  static async create(gpu: Gpu, a: NetworkArenas): Promise<Sgd> {
    return new Sgd(gpu, await sgd(gpu, 'sgd', a.params.floats, { buffer: a.params.buffer }, { buffer: a.grads.buffer }, { buffer: a.momentum.buffer }));
  }

  /** Sets learning rate, momentum and weight decay for the next submit; writes the uniforms only when they change. */
  setHyper(h: SgdOptions): void {
    const key = `${h.lr}|${h.momentum}|${h.weightDecay}`;
    if (key === this.lastHyper) return;
    setSgdHyper(this.gpu, this.dispatch, h);
    this.lastHyper = key;
  }

  /** Records the update into `pass`. */
  record(pass: GPUComputePassEncoder): void {
    record(pass, [this.dispatch]);
  }
}
