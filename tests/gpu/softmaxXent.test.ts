import { describe, expect, test } from 'vitest';
import * as ref from '../../src/reference/softmaxXent';
import { softmaxXent } from '../../src/kernels/softmaxXent';
import { readF32 } from '../../src/gpu/buffers';
import type { Gpu } from '../../src/gpu/gpu';
import { buf, bufI32, expectClose, getGpu, out, rand, runAndRead } from './harness';

const labelsFor = (n: number, k: number, seed: number) => Int32Array.from(rand(n, seed, 0, k), Math.floor);

/** Runs the kernel once on zeroed metrics; returns dlogits and the 4 metrics. */
async function runXent(gpu: Gpu, n: number, k: number, logits: ArrayLike<number>, labels: Int32Array, variant: Variant) {
  const dl = out(gpu, n * k);
  const metrics = buf(gpu, [0, 0, 0, 0], 'test.metrics');
  const d = await softmaxXent(
    gpu,
    'xent',
    n,
    k,
    { buffer: buf(gpu, logits) },
    { buffer: bufI32(gpu, labels) },
    { buffer: dl },
    { buffer: metrics },
    { variant },
  );
  const dlogits = await runAndRead(gpu, d, dl, n * k);
  return { dlogits, metrics: await readF32(gpu, metrics, 0, 4), d, metricsBuf: metrics };
}

/** Loss to 1e-6 relative (float32 log/exp and a sum of n losses), counts exact, dlogits ~ 1/count to 2e-7/count. */
function expectMatches(got: { dlogits: Float32Array; metrics: Float32Array }, want: ReturnType<typeof ref.softmaxXent>) {
  expectClose([got.metrics[0], got.metrics[2]], [want.loss, want.lossSum], { atol: 1e-6, rtol: 1e-6 });
  expect([got.metrics[1], got.metrics[3]]).toEqual([want.correct, want.correct]);
  expectClose(got.dlogits, want.dlogits, { atol: 2e-7 / Math.max(want.count, 1), rtol: 1e-5 });
}

type Variant = 'workgroup' | 'serial';

// Both variants (one workgroup with a tree; one serial invocation for CPU adapters) meet the same expectations.
describe.each(['workgroup', 'serial'] as const)('softmax cross-entropy (%s)', (variant) => {
  // [n, k]: one sample, few classes; CIFAR-10 small and past the workgroup size; CIFAR-100 at the limits.
  test.each([
    [1, 3],
    [5, 10],
    [130, 10],
    [1024, 100],
  ])('n=%i k=%i', async (n, k) => {
    const gpu = await getGpu();
    const logits = rand(n * k, 1, -4, 4);
    const labels = labelsFor(n, k, 2);
    expectMatches(await runXent(gpu, n, k, logits, labels, variant), ref.softmaxXent(n, k, logits, labels));
  });

  test('large logits stay finite (max subtraction)', async () => {
    const gpu = await getGpu();
    const [n, k] = [7, 10];
    // exp(90) overflows float32; the max is subtracted first. Losses reach ~100.
    const logits = rand(n * k, 3, -100, 100);
    const labels = labelsFor(n, k, 4);
    const got = await runXent(gpu, n, k, logits, labels, variant);
    const want = ref.softmaxXent(n, k, logits, labels);
    // float32 logits of size 100 carry 4e-6 absolute each; the loss is a difference of two of them.
    expectClose([got.metrics[0]], [want.loss], { atol: 1e-5, rtol: 1e-6 });
    expect(got.metrics[1]).toBe(want.correct);
    expectClose(got.dlogits, want.dlogits, { atol: 1e-7, rtol: 1e-5 });
  });

  test('argmax ties go to the lowest class', async () => {
    const gpu = await getGpu();
    // Row 0: classes 1 and 3 tie (label 1: correct). Row 1: all equal (label 0: correct). Row 2: 2 and 4 tie (label 4: wrong).
    const k = 5;
    const logits = [0, 2, 1, 2, -1, 0.5, 0.5, 0.5, 0.5, 0.5, -3, 0, 7, 1, 7];
    const labels = Int32Array.of(1, 0, 4);
    const want = ref.softmaxXent(3, k, logits, labels);
    expect(want.correct).toBe(2);
    expectMatches(await runXent(gpu, 3, k, logits, labels, variant), want);
  });

  test('labels < 0 are padding: no loss, zero gradient, not counted', async () => {
    const gpu = await getGpu();
    const [n, k] = [130, 10];
    const logits = rand(n * k, 5, -3, 3);
    const labels = labelsFor(n, k, 6);
    for (let r = 97; r < n; r++) labels[r] = -1; // a padded last evaluation batch
    labels[3] = -1;
    const want = ref.softmaxXent(n, k, logits, labels);
    expect(want.count).toBe(96);
    const got = await runXent(gpu, n, k, logits, labels, variant);
    expectMatches(got, want);
    expect(got.dlogits.subarray(97 * k).every((v) => v === 0)).toBe(true);
  });

  test('every label padding: loss 0, zero gradient', async () => {
    const gpu = await getGpu();
    const got = await runXent(
      gpu,
      4,
      10,
      rand(40, 7),
      Int32Array.from({ length: 4 }, () => -1),
      variant,
    );
    expect(Array.from(got.metrics)).toEqual([0, 0, 0, 0]);
    expect(got.dlogits.every((v) => v === 0)).toBe(true);
  });

  test('metrics[2] and [3] accumulate over batches', async () => {
    const gpu = await getGpu();
    const [n, k] = [5, 10];
    const logits = rand(n * k, 8, -2, 2);
    const labels = labelsFor(n, k, 9);
    const first = await runXent(gpu, n, k, logits, labels, variant);
    // The same prepared dispatch again, without zeroing: [0] and [1] are this batch's, [2] and [3] add up.
    await runAndRead(gpu, first.d, first.metricsBuf, 4);
    const m = await readF32(gpu, first.metricsBuf, 0, 4);
    const want = ref.softmaxXent(n, k, logits, labels);
    expectClose([m[0], m[2]], [want.loss, 2 * want.lossSum], { atol: 1e-6, rtol: 1e-6 });
    expect([m[1], m[3]]).toEqual([want.correct, 2 * want.correct]);
  });
});
