// The input side of a step on the device: the augment kernel gathers a batch of uint8 CIFAR records by image id,
// crops, flips and normalises them into a step target's image and label buffers; for a network of a larger input
// size (transfer at 64, 96, 128 or 224 pixels), into a 32x32 batch of its own that the bilinear kernel enlarges. The trainer (src/train) drives
// batches through this, so it records no kernel itself.
import type { Gpu } from '../gpu/gpu';
import { augment, setAugmentStep } from '../kernels/augment';
import { record, type Dispatch } from '../kernels/kernel';
import { upsample } from '../kernels/upsample';
import { createStorage } from '../gpu/buffers';
import type { AugmentOptions } from '../geometry';
import type { StepTarget } from './targets';

export interface BatchSource {
  /** uint8 records, packed 4 to a u32 (gpuDataset's layout). */
  images: GPUBuffer;
  labels: GPUBuffer;
}

export interface BatchInput {
  /** Seed and step the augmentation's random draws hash; takes effect at the next submit. */
  setStep(seed: number, step: number): void;
  /** Records the gather/augment pass (its own compute pass) into `enc`. */
  encode(enc: GPUCommandEncoder): void;
  destroy(): void;
}

/** A batch input for `target`: `indices` (u32 image ids, one per batch slot) says which records to take. */
export async function createBatchInput(
  gpu: Gpu,
  label: string,
  o: AugmentOptions,
  source: BatchSource,
  indices: GPUBuffer,
  target: StepTarget,
): Promise<BatchInput> {
  const size = target.imageSize;
  const small = size === 32 ? undefined : createStorage(gpu, `${label}.small`, o.batch * 3 * 32 * 32 * 4);
  const dispatch: Dispatch = await augment(
    gpu,
    label,
    o,
    { buffer: source.images },
    { buffer: source.labels },
    { buffer: indices },
    { buffer: small ?? target.images },
    { buffer: target.labels },
  );
  const dispatches = [dispatch];
  if (small) dispatches.push(await upsample(gpu, `${label}.enlarge`, o.batch * 3, 32, size, { buffer: small }, { buffer: target.images }));
  return {
    setStep: (seed, step) => setAugmentStep(gpu, dispatch, seed, step),
    encode(enc) {
      const pass = enc.beginComputePass({ label });
      record(pass, dispatches);
      pass.end();
    },
    destroy: () => {
      dispatches.forEach((d) => d.uniforms?.destroy());
      small?.destroy();
    },
  };
}
