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

  /**
   * `from`: update only the parameters from this one to the end of the arena (state-dict order; 'fc.weight': the
   * classifier head only, for fine-tuning). Every tensor sits at a 256-byte aligned offset, so the update binds the
   * arenas' tails with no kernel change.
   */
  static async create(gpu: Gpu, a: NetworkArenas, from?: string): Promise<Sgd> {
    const at = from === undefined ? 0 : a.params.offsets.get(from)?.offset;
    if (at === undefined) throw new Error(`SGD: no parameter named '${from}'`);
    const tail = (buffer: GPUBuffer) => ({ buffer, offset: at * 4 });
    return new Sgd(
      gpu,
      await sgd(
        gpu,
        from ? `sgd.from.${from}` : 'sgd',
        a.params.floats - at,
        tail(a.params.buffer),
        tail(a.grads.buffer),
        tail(a.momentum.buffer),
      ),
    );
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

  /** Frees the update's uniform buffer (the network owning this optimiser is being destroyed). */
  destroy(): void {
    this.dispatch.uniforms?.destroy();
  }
}
