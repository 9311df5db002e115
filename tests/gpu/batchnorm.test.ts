import { describe, expect, test } from 'vitest';
import * as ref from '../../src/reference/batchnorm';
import { bnApply, bnBackward, bnPartialBytes, bnStats, bnUpdateRunning, type ReduceVariant } from '../../src/kernels/batchnorm';
import type { Gpu } from '../../src/gpu/gpu';
import type { ChannelShape } from '../../src/geometry';
import { readF32 } from '../../src/gpu/buffers';
import { run } from '../../src/kernels/kernel';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

const f32 = (a: ArrayLike<number>) => Float64Array.from(a, Math.fround);
/** Roughly N(0, 1) (sum of three uniforms, variance 1), rounded to float32. */
function normalish(count: number, seed: number): Float64Array {
  const [a, b, c] = [rand(count, seed), rand(count, seed + 1), rand(count, seed + 2)];
  return Float64Array.from(a, (v, i) => Math.fround(v + b[i] + c[i]));
}
/** Channel c of x viewed as [N, C, S] gets x * scale[c] + offset[c] (the lists repeat as needed). */
function perChannel(sh: ChannelShape, x: Float64Array, scale: number[], offset: number[]): Float64Array {
  return Float64Array.from(x, (v, i) => {
    const c = Math.floor(i / sh.s) % sh.c;
    return Math.fround(v * scale[c % scale.length] + offset[c % offset.length]);
  });
}

// Awkward shapes: N=1, odd C, 7x5 maps, S=1 (a [N, K] matrix viewed per column). S % 4 == 0 (64 here, 1024
// above) takes the vec4 entries (apply4, backward_apply4, *_serial4, *_partial4), the others the scalar
// ones. 3 x 1001 values per channel are two chunks of the split reductions, the first ending mid-row.
const shapes: ChannelShape[] = [
  { n: 1, c: 3, s: 7 },
  { n: 4, c: 16, s: 64 },
  { n: 3, c: 5, s: 35 },
  { n: 130, c: 2, s: 1 },
  { n: 3, c: 2, s: 1001 },
];

// The per-channel reductions come in three variants (src/gpu/tuning.ts); all meet the same expectations.
const variants: ReduceVariant[] = ['workgroup', 'serial', 'split'];

/** Scratch for the variant's partial results (NaN-filled: a partial read before it is written fails). */
const partialsFor = (gpu: Gpu, sh: ChannelShape, variant: ReduceVariant) =>
  variant === 'split' ? { buffer: out(gpu, bnPartialBytes(sh, variant) / 4, 'test.partials') } : undefined;

describe.each(variants)('batchnorm (%s reductions) at batch 128, 32x32 (131,072 values per channel)', (variant) => {
  const sh = { n: 128, c: 2, s: 1024 };
  const count = sh.n * sh.c * sh.s;
  // [scale, offset] per channel. 1000 + N(0,1): |mean| >> std, where a one-pass E[x^2] - E[x]^2 in float32
  // is off by ~10%. 0.001-scale values. 1000 + 0.001 N(0,1): std/mean = 1e-6, where a plain two-pass
  // variance (no correction for the float32 mean's rounding) was measured 1.3e-6 off; N(0,1) around 0.
  // Tolerances: variance 1e-6 relative (measured up to 1.7e-7); mean 1e-7 relative (the float32 rounding
  // of the exact mean is up to 6e-8) plus 1e-7 of the channel's std for a mean near 0 (measured 7e-9).
  test.each([
    { name: '1000 + N(0,1) and 0.001 N(0,1) + 0.0005', scale: [1, 0.001], offset: [1000, 0.0005] },
    { name: '1000 + 0.001 N(0,1) and N(0,1)', scale: [0.001, 1], offset: [1000, 0] },
  ])('stats: $name', async ({ scale, offset }) => {
    const gpu = await getGpu();
    const x = perChannel(sh, normalish(count, 11), scale, offset);
    const mean = out(gpu, sh.c);
    const variance = out(gpu, sh.c);
    const want = ref.bnStats(sh, x);
    const d = await bnStats(
      gpu,
      'bn.stats',
      sh,
      { buffer: buf(gpu, x) },
      { buffer: mean },
      { buffer: variance },
      { variant, partials: partialsFor(gpu, sh, variant) },
    );
    expectClose(await runAndRead(gpu, d, variance, sh.c), want.variance, { atol: 0, rtol: 1e-6 });
    const gotMean = await readF32(gpu, mean, 0, sh.c);
    for (let c = 0; c < sh.c; c++) expectClose([gotMean[c]], [want.mean[c]], { atol: 1e-7 * Math.sqrt(want.variance[c]), rtol: 1e-7 });
  });

  test('backward', async () => {
    const gpu = await getGpu();
    const x = perChannel(sh, normalish(count, 31), [1, 0.5], [100, -1]);
    const dy = rand(count, 41); // independent of x (normalish(31) draws seeds 31-33)
    const st = ref.bnStats(sh, x);
    const [mean, variance, gamma] = [f32(st.mean), f32(st.variance), f32([1.5, 0.75])];
    const [dx, dgamma, dbeta] = [out(gpu, count), out(gpu, sh.c), out(gpu, sh.c)];
    const ds = await bnBackward(
      gpu,
      'bn.bwd',
      sh,
      { buffer: buf(gpu, dy) },
      { buffer: buf(gpu, x) },
      { buffer: buf(gpu, mean) },
      { buffer: buf(gpu, variance) },
      { buffer: buf(gpu, gamma) },
      { buffer: dx },
      { buffer: dgamma },
      { buffer: dbeta },
      { variant, partials: partialsFor(gpu, sh, variant) },
    );
    const want = ref.bnBackward(sh, dy, x, mean, variance, gamma);
    // dgamma, dbeta ~ 200 are sums of 131,072 terms whose magnitudes add up to ~65,000: 1e-3 absolute is
    // 1.5e-8 of that (measured 1.4e-4). dx ~ 1: measured 4e-7.
    expectClose(await runAndRead(gpu, ds, dx, count), want.dx, { atol: 2e-6, rtol: 1e-5 });
    expectClose(await readF32(gpu, dgamma, 0, sh.c), want.dgamma, { atol: 1e-3, rtol: 1e-6 });
    expectClose(await readF32(gpu, dbeta, 0, sh.c), want.dbeta, { atol: 1e-3, rtol: 1e-6 });
  });
});

describe.each(shapes)('batchnorm n=$n c=$c s=$s', (sh) => {
  const count = sh.n * sh.c * sh.s;
  const m = sh.n * sh.s;
  const x = perChannel(sh, rand(count, 1), [1, 3, 0.5, 2, 1], [0.5, -2, 0, 10, 1]);
  const gamma = f32(Array.from({ length: sh.c }, (_, c) => 1 + 0.25 * c - 0.1 * (c % 3)));
  const beta = rand(sh.c, 2, -0.5, 0.5);
  // The reference's statistics rounded to float32: what a kernel downstream of bnStats sees.
  const stats = ref.bnStats(sh, x);
  const [mean, variance] = [f32(stats.mean), f32(stats.variance)];

  test.each(variants)('stats (%s)', async (variant) => {
    const gpu = await getGpu();
    const mb = out(gpu, sh.c);
    const vb = out(gpu, sh.c);
    const partials = partialsFor(gpu, sh, variant);
    const gotVar = await runAndRead(
      gpu,
      await bnStats(gpu, 'bn.stats', sh, { buffer: buf(gpu, x) }, { buffer: mb }, { buffer: vb }, { variant, partials }),
      vb,
      sh.c,
    );
    expectClose(gotVar, stats.variance, { atol: 0, rtol: 1e-6 });
    expectClose(await readF32(gpu, mb, 0, sh.c), stats.mean, { atol: 1e-7, rtol: 1e-6 });
  });

  // y = gamma * (x - mean) * inv + beta with |y| up to ~5: a few float32 roundings.
  test.each([false, true])('apply with batch statistics, relu=%s', async (relu) => {
    const gpu = await getGpu();
    const y = out(gpu, count);
    const d = await bnApply(
      gpu,
      'bn.apply',
      sh,
      { buffer: buf(gpu, x) },
      { buffer: buf(gpu, mean) },
      { buffer: buf(gpu, variance) },
      { buffer: buf(gpu, gamma) },
      { buffer: buf(gpu, beta) },
      { buffer: y },
      { relu },
    );
    const want = ref.bnApply(sh, x, mean, variance, gamma, beta);
    expectClose(await runAndRead(gpu, d, y, count), relu ? want.map((v) => Math.max(v, 0)) : want, { atol: 2e-6, rtol: 2e-6 });
  });

  test('apply in eval mode with given running statistics', async () => {
    const gpu = await getGpu();
    const runMean = rand(sh.c, 3, -1, 1);
    const runVar = rand(sh.c, 4, 0.01, 4);
    const y = out(gpu, count);
    const d = await bnApply(
      gpu,
      'bn.eval',
      sh,
      { buffer: buf(gpu, x) },
      { buffer: buf(gpu, runMean) },
      { buffer: buf(gpu, runVar) },
      { buffer: buf(gpu, gamma) },
      { buffer: buf(gpu, beta) },
      { buffer: y },
      { relu: true },
    );
    const want = ref.bnApply(sh, x, runMean, runVar, gamma, beta).map((v) => Math.max(v, 0));
    // |y| reaches ~100 where runVar is small: a relative bound, with atol for values near 0.
    expectClose(await runAndRead(gpu, d, y, count), want, { atol: 2e-6, rtol: 2e-6 });
  });

  test('running update, in place', async () => {
    const gpu = await getGpu();
    const runMean = rand(sh.c, 5, -1, 1);
    const runVar = rand(sh.c, 6, 0.5, 2);
    const rm = buf(gpu, runMean);
    const rv = buf(gpu, runVar);
    const d = await bnUpdateRunning(
      gpu,
      'bn.running',
      sh,
      { buffer: buf(gpu, mean) },
      { buffer: buf(gpu, variance) },
      { buffer: rm },
      { buffer: rv },
    );
    const want = ref.bnUpdateRunning(sh, runMean, runVar, mean, variance);
    // Two float32 multiply-adds (and the float32 m/(m-1)).
    expectClose(await runAndRead(gpu, d, rv, sh.c), want.runVar, { atol: 1e-7, rtol: 1e-6 });
    expectClose(await readF32(gpu, rm, 0, sh.c), want.runMean, { atol: 1e-7, rtol: 1e-6 });
  });

  test.each(variants)('backward (train mode, %s)', async (variant) => {
    const gpu = await getGpu();
    const dy = rand(count, 7);
    const [dx, dgamma, dbeta] = [out(gpu, count), out(gpu, sh.c), out(gpu, sh.c)];
    const ds = await bnBackward(
      gpu,
      'bn.bwd',
      sh,
      { buffer: buf(gpu, dy) },
      { buffer: buf(gpu, x) },
      { buffer: buf(gpu, mean) },
      { buffer: buf(gpu, variance) },
      { buffer: buf(gpu, gamma) },
      { buffer: dx },
      { buffer: dgamma },
      { buffer: dbeta },
      { variant, partials: partialsFor(gpu, sh, variant) },
    );
    const reduce = variant === 'split' ? ['bn.bwd.reduce.partial', 'bn.bwd.reduce.finalize'] : ['bn.bwd.reduce'];
    expect(ds.map((d) => d.label)).toEqual([...reduce, 'bn.bwd.apply']);
    const want = ref.bnBackward(sh, dy, x, mean, variance, gamma);
    // dgamma and dbeta are sums of m terms of size <= ~1 (|terms| add up to ~m/2): 1e-7 * m absolute is
    // ~3 float32 roundings of that total (measured 2e-6 at m = 256). dx ~ 1: measured 5e-7.
    expectClose(await runAndRead(gpu, ds, dx, count), want.dx, { atol: 2e-6, rtol: 1e-5 });
    expectClose(await readF32(gpu, dgamma, 0, sh.c), want.dgamma, { atol: 1e-7 * m, rtol: 1e-6 });
    expectClose(await readF32(gpu, dbeta, 0, sh.c), want.dbeta, { atol: 1e-7 * m, rtol: 1e-6 });
  });
});

describe('batchnorm train step', () => {
  // bnStats then bnApply in one submit, as the executor records them (apply sees the GPU's statistics).
  test.each(variants)('stats (%s) + apply + fused relu, N=2 C=3 S=35', async (variant) => {
    const gpu = await getGpu();
    const sh = { n: 2, c: 3, s: 35 };
    const count = sh.n * sh.c * sh.s;
    const x = perChannel(sh, normalish(count, 21), [2, 0.1, 5], [100, -3, 0]);
    const gamma = f32([1, 0.5, 2]);
    const beta = f32([0, 0.1, -0.2]);
    const [mean, variance, y] = [out(gpu, sh.c), out(gpu, sh.c), out(gpu, count)];
    const xb = buf(gpu, x);
    const ds = [
      ...(await bnStats(
        gpu,
        'bn.stats',
        sh,
        { buffer: xb },
        { buffer: mean },
        { buffer: variance },
        { variant, partials: partialsFor(gpu, sh, variant) },
      )),
      await bnApply(
        gpu,
        'bn.apply',
        sh,
        { buffer: xb },
        { buffer: mean },
        { buffer: variance },
        { buffer: buf(gpu, gamma) },
        { buffer: buf(gpu, beta) },
        { buffer: y },
        { relu: true },
      ),
    ];
    run(gpu, ds);
    const want = ref.bnForwardTrain(sh, x, gamma, beta).y.map((v) => Math.max(v, 0));
    // Channel 0 has mean 100 and std 2: the float32 mean's rounding (~4e-6) shows up in y at ~2e-6.
    expectClose(await readF32(gpu, y, 0, count), want, { atol: 1e-5, rtol: 1e-5 });
  });
});
