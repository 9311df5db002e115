// A batch for a network of a larger input size (transfer at 64/96/224): the augment kernel's 32x32 batch (random
// crop and flip, normalised) enlarged by the bilinear kernel, in one pass, equals the two references composed.
import { expect, test } from 'vitest';
import { augmentReference, RECORD } from '../../src/reference/augment';
import { upsample } from '../../src/reference/upsample';
import { createBatchInput } from '../../src/runtime/batchInput';
import type { StepTarget } from '../../src/runtime/targets';
import { readF32, uploadNew } from '../../src/gpu/buffers';
import { bufI32, getGpu, out } from './harness';

const mean: [number, number, number] = [0.4914, 0.4822, 0.4465];
const std: [number, number, number] = [0.247, 0.2435, 0.2616];

test.each([64, 96, 224, 32])('batch of 3 at %i pixels: augment then enlarge', async (size) => {
  const gpu = await getGpu();
  const count = 5;
  const images = Uint8Array.from({ length: count * RECORD }, (_, i) => (i * 2654435761) >>> 24);
  const labels = [3, 1, 4, 1, 5];
  const indices = [4, 0, 2];
  const o = { batch: indices.length, mean, std, pad: 4, flip: true };
  const src = { images: uploadNew(gpu, 'test.records', images), labels: bufI32(gpu, labels) };
  const idx = uploadNew(gpu, 'test.indices', Uint32Array.from(indices));
  const target = { imageSize: size, images: out(gpu, o.batch * 3 * size * size), labels: out(gpu, o.batch) } as unknown as StepTarget;
  const input = await createBatchInput(gpu, 'test.input', o, src, idx, target);
  try {
    input.setStep(7, 11);
    const enc = gpu.device.createCommandEncoder();
    input.encode(enc);
    gpu.device.queue.submit([enc.finish()]);
    const got = await readF32(gpu, target.images, 0, o.batch * 3 * size * size);
    const small = augmentReference(o, images, labels, indices, 7, 11).images;
    const want = upsample(small, o.batch * 3, 32, size);
    const worst = want.reduce((m, w, i) => Math.max(m, Math.abs(got[i] - w)), 0);
    expect(worst).toBeLessThan(1e-5);
  } finally {
    input.destroy();
    [src.images, src.labels, idx, target.images, target.labels].forEach((b) => b.destroy());
  }
});
