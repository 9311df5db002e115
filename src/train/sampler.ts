// The seeded data order: each epoch is a fresh permutation of the split's image ids, drawn from the run's seed
// and the epoch number, so any step's batch can be computed on its own (resuming from a checkpoint at step s
// gives the same batches as an uninterrupted run). The last partial batch of an epoch is dropped.
import { Rng } from '../util/rng';
import { stepsPerEpoch } from './schedule';

export class EpochSampler {
  readonly stepsPerEpoch: number;
  private epoch = -1;
  private order: Uint32Array = new Uint32Array(0);
  private readonly out: Uint32Array<ArrayBuffer>;

  /** `ids`: the split's image ids (indices into the uploaded images). */
  constructor(
    private readonly ids: Uint32Array,
    readonly batch: number,
    private readonly seed: number,
  ) {
    if (ids.length === 0) throw new RangeError('the training split has no images');
    this.stepsPerEpoch = stepsPerEpoch(ids.length, batch);
    this.out = new Uint32Array(batch);
  }

  epochOf(step: number): number {
    return Math.floor(step / this.stepsPerEpoch);
  }

  /** Image ids of the batch at `step`. The array is reused by the next call. */
  indices(step: number): Uint32Array<ArrayBuffer> {
    const e = this.epochOf(step);
    if (e !== this.epoch) {
      // One generator per (seed, epoch): the seed's stream, offset by a large odd multiple of the epoch.
      const perm = new Rng((Math.imul(this.seed >>> 0, 0x9e3779b1) ^ Math.imul(e + 1, 0x85ebca77)) >>> 0).permutation(this.ids.length);
      for (let i = 0; i < perm.length; i++) perm[i] = this.ids[perm[i]];
      this.order = perm;
      this.epoch = e;
    }
    const start = (step - e * this.stepsPerEpoch) * this.batch;
    const n = this.order.length;
    for (let k = 0; k < this.batch; k++) this.out[k] = this.order[(start + k) % n];
    return this.out;
  }
}
