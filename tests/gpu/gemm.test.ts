import { describe, expect, test } from 'vitest';
import * as ref from '../../src/reference/gemm';
import { gemm, gemmSplits, type GemmVariant } from '../../src/kernels/gemm';
import type { GemmShape } from '../../src/geometry';
import { TUNINGS } from '../../src/gpu/tuning';
import { run } from '../../src/kernels/kernel';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

const extent = (batches: number, rows: number, cols: number, sb: number, sr: number, sc: number) =>
  (batches - 1) * sb + (rows - 1) * sr + (cols - 1) * sc + 1;

/**
 * float32 accumulation against float64, inputs in [-1, 1): each product is < 1 and a sum of K of them
 * carries a rounding error of order K * 6e-8 * (partial sums ~ sqrt(K)); 2e-6 per summed term leaves a
 * wide margin without hiding an indexing bug (those give errors of order 0.1 to 1).
 */
const tol = (terms: number) => ({ atol: 2e-6 * terms, rtol: 1e-5 });

async function check(variant: GemmVariant, s: GemmShape, seed = 1): Promise<void> {
  const gpu = await getGpu();
  const a = rand(extent(s.batch, s.m, s.k, s.aBatch, s.aRow, s.aCol), seed);
  const b = rand(extent(s.batch, s.k, s.n, s.bBatch, s.bRow, s.bCol), seed + 1);
  const bias = rand(s.bias === 'row' ? s.m : s.n, seed + 2);
  const want = ref.gemm(s, a, b, bias);
  const c = out(gpu, want.length);
  const d = await gemm(
    gpu,
    'gemm.test',
    s,
    { buffer: buf(gpu, a) },
    { buffer: buf(gpu, b) },
    { buffer: c },
    s.bias && s.bias !== 'none' ? { buffer: buf(gpu, bias) } : undefined,
    { variant },
  );
  expectClose(await runAndRead(gpu, d, c, want.length), want, tol(s.k * (s.reduceBatch ? s.batch : 1)));
}

// Every variant through the same expectations: 'tiled' (workgroup memory, GPUs) and 'direct' (CPU adapters).
describe.each(['tiled', 'direct'] as const)('gemm %s', (variant) => {
  test.each([
    [1, 1, 1],
    [9, 9, 3], // one past the direct variant's 8x8 block in m and n
    [65, 33, 17], // one past the 64-row tile, n and k past 16/32
    [3, 130, 7],
    [16, 100, 144], // a stage-1 convolution's shape, several K tiles
    [64, 70, 40],
  ])('plain and transposed, m=%i n=%i k=%i', async (m, n, k) => {
    for (const transA of [false, true])
      for (const transB of [false, true]) await check(variant, ref.gemmShape(m, n, k, { transA, transB }), m + n + k);
  });

  test('batch 3, each operand its own', () => check(variant, ref.gemmShape(65, 33, 17, { batch: 3 })));
  test('batch 3, shared A (aBatch 0), row bias: the convolution forward', () =>
    check(variant, { ...ref.gemmShape(5, 37, 27, { batch: 3, shareA: true }), bias: 'row' }));
  test('batch 3, shared transposed A: the convolution input gradient', () =>
    check(variant, ref.gemmShape(27, 37, 5, { batch: 3, shareA: true, transA: true })));
  test.each([false, true])('reduceBatch over 3 batches (transB %s)', (transB) =>
    check(variant, { ...ref.gemmShape(6, 27, 49, { batch: 3, transB }), reduceBatch: true }),
  );
  test('reduceBatch over 40 batches, 1x1x1', () => check(variant, { ...ref.gemmShape(1, 1, 1, { batch: 40 }), reduceBatch: true }));
  test('reduceBatch, a convolution weight gradient: 16 x 144, k 64, 5 images', () =>
    check(variant, { ...ref.gemmShape(16, 144, 64, { batch: 5, transB: true }), reduceBatch: true }));
  // Split-K: partial sums over 2, 3 and 5 groups of the 5 images, cBatch apart (per = 3, 2, 1 images).
  test.each([2, 3, 5])('reduceBatch into %i partial sums (split-K), a weight gradient 16 x 144', (splits) =>
    check(variant, { ...ref.gemmShape(16, 144, 64, { batch: 5, transB: true }), reduceBatch: true, splits }),
  );
  test('splits that leave a split empty, or without reduceBatch, are refused', async () => {
    const gpu = await getGpu();
    const s = ref.gemmShape(4, 4, 4, { batch: 5 });
    const big = { buffer: out(gpu, 1024) };
    await expect(gemm(gpu, 'gemm.split', { ...s, reduceBatch: true, splits: 4 }, big, big, big, undefined, { variant })).rejects.toThrow(
      /empty split/,
    );
    await expect(gemm(gpu, 'gemm.split', { ...s, splits: 2 }, big, big, big, undefined, { variant })).rejects.toThrow(/needs reduceBatch/);
  });
  test.each(['row', 'col'] as const)('bias %s', (bias) => check(variant, { ...ref.gemmShape(65, 33, 17, { batch: 2 }), bias }));
  test('column-major C (cRow 1, cCol m)', () => check(variant, { ...ref.gemmShape(19, 23, 9), cRow: 1, cCol: 19 }));

  test('binding offsets', async () => {
    const gpu = await getGpu();
    const s = ref.gemmShape(7, 9, 5);
    const a = rand(64 + 35, 3);
    const b = rand(45, 4);
    const want = ref.gemm(s, a.subarray(64), b);
    const c = out(gpu, 64 + 63);
    const d = await gemm(
      gpu,
      'gemm.offsets',
      s,
      { buffer: buf(gpu, a), offset: 256 },
      { buffer: buf(gpu, b) },
      { buffer: c, offset: 256, size: 63 * 4 },
      undefined,
      { variant },
    );
    const got = await runAndRead(gpu, d, c, 64 + 63);
    expect(Array.from(got.subarray(0, 64)).every(Number.isNaN)).toBe(true);
    expectClose(got.subarray(64), want, tol(5));
  });

  test('a buffer too small for the strides is refused', async () => {
    const gpu = await getGpu();
    const small = { buffer: out(gpu, 10) };
    await expect(gemm(gpu, 'gemm.small', ref.gemmShape(4, 4, 4), small, small, small)).rejects.toThrow(/A needs 16 floats/);
  });

  test('timing: m=16 n=1024 k=144 batch 32, shared A (no assertion)', async () => {
    const gpu = await getGpu();
    const s = ref.gemmShape(16, 1024, 144, { batch: 32, shareA: true });
    const a = buf(gpu, rand(16 * 144, 5));
    const b = buf(gpu, rand(144 * 1024 * 32, 6));
    const c = out(gpu, 16 * 1024 * 32);
    const d = await gemm(gpu, 'gemm.timing', s, { buffer: a }, { buffer: b }, { buffer: c }, undefined, { variant });
    run(gpu, [d]);
    await gpu.device.queue.onSubmittedWorkDone(); // warm-up
    const reps = 5;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      run(gpu, [d]);
      await gpu.device.queue.onSubmittedWorkDone();
    }
    const ms = (performance.now() - t0) / reps;
    const flops = 2 * s.m * s.n * s.k * s.batch;
    console.log(
      `gemm ${variant} 16x1024x144 batch 32 on ${gpu.adapterName}: ${ms.toFixed(1)} ms, ${(flops / ms / 1e6).toFixed(2)} GFLOP/s`,
    );
  });
});

describe('gemmSplits', () => {
  // The weight gradients of ResNet-20's three stages at batch 128 on the GPU tuning: enough workgroups,
  // no split left empty, never more splits than images.
  test.each([
    [16, 144, 1024],
    [32, 288, 256],
    [64, 576, 64],
  ])('GPU tuning, dW %i x %i, k %i, batch 128', (m, n, k) => {
    const s = { ...ref.gemmShape(m, n, k, { batch: 128, transB: true }), reduceBatch: true };
    const splits = gemmSplits(TUNINGS.gpu, s);
    const per = Math.ceil(128 / splits);
    expect(splits).toBeGreaterThan(1);
    expect(Math.ceil(128 / per)).toBe(splits);
    expect(splits).toBeLessThanOrEqual(128);
  });
  test('a GEMM whose one invocation would loop past MAX_LOOP_ITERATIONS is refused, not run short', async () => {
    const gpu = await getGpu();
    const s = ref.gemmShape(1, 1, 70_000);
    const [a, b, c] = [out(gpu, 70_000), out(gpu, 70_000), out(gpu, 1)];
    await expect(gemm(gpu, 'gemm.long', s, { buffer: a }, { buffer: b }, { buffer: c }, undefined, { variant: 'direct' })).rejects.toThrow(
      /would loop 70065 times, past the 65535/,
    );
  });

  test('no split on the CPU tuning (but for the loop bound), without reduceBatch, or with one batch', () => {
    const s = ref.gemmShape(16, 144, 1024, { batch: 128, transB: true });
    expect(gemmSplits(TUNINGS.cpu, { ...ref.gemmShape(16, 144, 64, { batch: 128, transB: true }), reduceBatch: true })).toBe(1);
    // One direct-GEMM invocation summing 128 batches of k = 1024 would loop 128 x 1,025 times: past
    // MAX_LOOP_ITERATIONS (loops.ts), so even the CPU tuning splits, into 3 of at most 63 batches (63 x 1,025 + 64).
    expect(gemmSplits(TUNINGS.cpu, { ...s, reduceBatch: true })).toBe(3);
    expect(gemmSplits(TUNINGS.gpu, s)).toBe(1);
    expect(gemmSplits(TUNINGS.gpu, { ...ref.gemmShape(16, 144, 1024, { batch: 1 }), reduceBatch: true })).toBe(1);
  });
});
