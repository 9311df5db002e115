// The input side of a step on the device: the augment kernel gathers a batch of uint8 CIFAR records by image id,
// crops, flips and normalises them into a step target's image and label buffers. The trainer (src/train) drives
// batches through this, so it records no kernel itself.
import type { Gpu } from '../gpu/gpu';
import { augment, setAugmentStep } from '../kernels/augment';
import { record, type Dispatch } from '../kernels/kernel';
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
  const dispatch: Dispatch = await augment(
    gpu,
    label,
    o,
    { buffer: source.images },
    { buffer: source.labels },
    { buffer: indices },
    { buffer: target.images },
    { buffer: target.labels },
  );
  return {
    setStep: (seed, step) => setAugmentStep(gpu, dispatch, seed, step),
    encode(enc) {
      const pass = enc.beginComputePass({ label });
      record(pass, [dispatch]);
      pass.end();
    },
    destroy: () => dispatch.uniforms?.destroy(),
  };
}
