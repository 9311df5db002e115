// The dataset on the GPU: the uint8 training and test images (3072-byte records read four to a u32 by the augment
// kernel) and their labels as i32, uploaded once and shared by every run. A split is a list of image ids into
// one of those buffers, so the 45k/5k train/validation split costs no GPU memory: the augment kernel gathers
// by id. Normalisation uses the per-channel mean/std of the training split (without the held-out images).
import type { Gpu } from '../gpu/gpu';
import { uploadNew } from '../gpu/buffers';
import { channelStats, type Cifar10, type Split } from '../data/cifar';
import { Rng } from '../util/rng';

export type SplitName = 'train' | 'val' | 'test';

export interface GpuSplit {
  name: SplitName;
  /** The uploaded images and labels the ids index into. */
  images: GPUBuffer;
  labels: GPUBuffer;
  ids: Uint32Array<ArrayBuffer>;
  /** The CPU copy the ids index into (for predictions shown in the UI). */
  source: Split;
}

export interface Normalisation {
  mean: [number, number, number];
  std: [number, number, number];
}

export interface SplitSet {
  train: GpuSplit;
  /** Present when valCount > 0. */
  val?: GpuSplit;
  test: GpuSplit;
  norm: Normalisation;
}

/** Every run holds out the same validation images: the split is drawn from this seed, not the run's. */
export const VAL_SPLIT_SEED = 0;

/** Training/validation image ids: the same draw as src/data/cifar.ts splitTrainVal, as id lists (sorted). */
export function trainValIds(
  count: number,
  valCount: number,
  seed = VAL_SPLIT_SEED,
): { train: Uint32Array<ArrayBuffer>; val: Uint32Array<ArrayBuffer> } {
  if (!Number.isInteger(valCount) || valCount < 0 || valCount >= count) {
    throw new RangeError(`valCount must be an integer in 0..${count - 1} (the training set has ${count} images), not ${valCount}`);
  }
  const order = new Rng(seed).permutation(count);
  return { train: order.slice(valCount).sort(), val: order.slice(0, valCount).sort() };
}

export class GpuDataset {
  private readonly sets = new Map<number, SplitSet>();
  private refs = 0;
  private destroyed = false;
  private disposeWhenFree = false;

  private constructor(
    readonly data: Cifar10,
    private readonly trainImages: GPUBuffer,
    private readonly trainLabels: GPUBuffer,
    private readonly testImages: GPUBuffer,
    private readonly testLabels: GPUBuffer,
  ) {}

  /** Uploads both splits (a GpuCapacityError when the training images exceed the GPU's buffer limits). */
  static upload(gpu: Gpu, data: Cifar10): GpuDataset {
    const bufs: GPUBuffer[] = [];
    try {
      const up = (label: string, a: ArrayBufferView) => {
        const b = uploadNew(gpu, label, a);
        bufs.push(b);
        return b;
      };
      // Records are whole multiples of 4 bytes, so the bytes go up as they are: the shader reads u32 little endian.
      up('dataset.train.images', data.train.images);
      up('dataset.train.labels', Int32Array.from(data.train.labels));
      up('dataset.test.images', data.test.images);
      up('dataset.test.labels', Int32Array.from(data.test.labels));
    } catch (e) {
      bufs.forEach((b) => b.destroy());
      throw e;
    }
    return new GpuDataset(data, bufs[0], bufs[1], bufs[2], bufs[3]);
  }

  get bytes(): number {
    return this.trainImages.size + this.trainLabels.size + this.testImages.size + this.testLabels.size;
  }

  /** The train/val/test splits for a run holding out `valCount` training images (computed once per valCount). */
  splits(valCount: number): SplitSet {
    let s = this.sets.get(valCount);
    if (!s) {
      const { train, test } = this.data;
      const ids = valCount > 0 ? trainValIds(train.count, valCount) : { train: iota(train.count), val: undefined };
      const onTrain = (name: SplitName, i: Uint32Array<ArrayBuffer>): GpuSplit => ({
        name,
        images: this.trainImages,
        labels: this.trainLabels,
        ids: i,
        source: train,
      });
      s = {
        train: onTrain('train', ids.train),
        val: ids.val ? onTrain('val', ids.val) : undefined,
        test: { name: 'test', images: this.testImages, labels: this.testLabels, ids: iota(test.count), source: test },
        norm: channelStats(train, ids.train),
      };
      this.sets.set(valCount, s);
    }
    return s;
  }

  /** Runs hold a reference while they use the buffers. */
  retain(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs <= 0 && this.disposeWhenFree) this.destroy();
  }

  /** Frees the GPU buffers now, or when the last run lets go. */
  dispose(): void {
    this.disposeWhenFree = true;
    if (this.refs <= 0) this.destroy();
  }

  private destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const b of [this.trainImages, this.trainLabels, this.testImages, this.testLabels]) b.destroy();
  }
}

const iota = (n: number): Uint32Array<ArrayBuffer> => Uint32Array.from({ length: n }, (_, i) => i);
