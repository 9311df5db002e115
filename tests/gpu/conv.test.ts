import { describe, expect, test } from 'vitest';
import * as ref from '../../src/reference/conv';
import { colElements, conv2dBackwardInput, conv2dBackwardWeight, conv2dForward, partialElements } from '../../src/kernels/conv';
import { convOutSize, type ConvGeom } from '../../src/geometry';
import type { Gpu } from '../../src/gpu/gpu';
import { TUNINGS, type ConvVariant, type Tuning } from '../../src/gpu/tuning';
import { MAX_LOOP_ITERATIONS } from '../../src/kernels/loops';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

const cases: [string, ConvGeom, boolean][] = [
  ['N=2 C=3 8x8 O=4 3x3 s1 p1, bias', { n: 2, c: 3, h: 8, w: 8, o: 4, kh: 3, kw: 3, stride: 1, pad: 1 }, true],
  ['N=1 C=4 9x7 O=8 3x3 s2 p1', { n: 1, c: 4, h: 9, w: 7, o: 8, kh: 3, kw: 3, stride: 2, pad: 1 }, false],
  ['1x1 s2 p0 (option B projection)', { n: 2, c: 4, h: 8, w: 8, o: 8, kh: 1, kw: 1, stride: 2, pad: 0 }, false],
  ['1x1 s1 p0 (no column buffer)', { n: 2, c: 5, h: 7, w: 5, o: 3, kh: 1, kw: 1, stride: 1, pad: 0 }, true],
  ['N=3 C=16 O=16 8x8 3x3 s1 p1', { n: 3, c: 16, h: 8, w: 8, o: 16, kh: 3, kw: 3, stride: 1, pad: 1 }, false],
  // Channel counts past the implicit kernel's 8-channel blocks, 5x5, no padding with stride 2.
  ['N=2 C=3 6x5 O=10 5x5 s1 p2, bias', { n: 2, c: 3, h: 6, w: 5, o: 10, kh: 5, kw: 5, stride: 1, pad: 2 }, true],
  ['N=2 C=9 7x7 O=9 3x3 s2 p0', { n: 2, c: 9, h: 7, w: 7, o: 9, kh: 3, kw: 3, stride: 2, pad: 0 }, false],
  // 3x3 s1 p1 rows the vec4-row kernel (conv3x3.wgsl) takes (width >= 16, a multiple of 4): 20 wide (the
  // last 8-column block half full), 16 wide with bias; 12 and 6 wide go to the general kernel.
  ['N=2 C=5 5x20 O=9 3x3 s1 p1', { n: 2, c: 5, h: 5, w: 20, o: 9, kh: 3, kw: 3, stride: 1, pad: 1 }, false],
  ['N=1 C=3 3x16 O=10 3x3 s1 p1, bias', { n: 1, c: 3, h: 3, w: 16, o: 10, kh: 3, kw: 3, stride: 1, pad: 1 }, true],
  ['N=2 C=5 7x12 O=9 3x3 s1 p1, bias', { n: 2, c: 5, h: 7, w: 12, o: 9, kh: 3, kw: 3, stride: 1, pad: 1 }, true],
  ['N=2 C=3 4x6 O=5 3x3 s1 p1', { n: 2, c: 3, h: 4, w: 6, o: 5, kh: 3, kw: 3, stride: 1, pad: 1 }, false],
  // Enough input channels that the igemm weight gradient's x rows do not fit workgroup memory at once, so
  // it walks the image in row chunks (2 and 3), sliding its window of x rows; few output channels keep
  // them cheap on SwiftShader.
  ['N=1 C=16 16x16 O=4 3x3 s1 p1', { n: 1, c: 16, h: 16, w: 16, o: 4, kh: 3, kw: 3, stride: 1, pad: 1 }, false],
  ['N=1 C=32 16x16 O=4 3x3 s2 p1', { n: 1, c: 32, h: 16, w: 16, o: 4, kh: 3, kw: 3, stride: 2, pad: 1 }, false],
  // Past MAX_LOOP_ITERATIONS (src/kernels/loops.ts): a weight gradient summing every image in one invocation would
  // loop 80 x 1,057 times (1x1 on 32x32; the direct GEMM: 80 x 1,025) or 232 x 289 (the vec4-row 3x3 kernel), and
  // lavapipe stops at 65,535: these split the images so each invocation stays under it.
  ['N=80 C=2 32x32 O=3 1x1 s1 p0 (loop bound)', { n: 80, c: 2, h: 32, w: 32, o: 3, kh: 1, kw: 1, stride: 1, pad: 0 }, false],
  ['N=232 C=1 32x32 O=4 3x3 s1 p1 (loop bound)', { n: 232, c: 1, h: 32, w: 32, o: 4, kh: 3, kw: 3, stride: 1, pad: 1 }, false],
];

/**
 * Every way this adapter could run a convolution, through the same expectations: the explicit reference
 * path (im2col + GEMM, col2im) with each GEMM variant, the implicit one for CPU adapters (no column
 * buffer), and the implicit GEMM for GPUs (workgroup-memory tiles) with its largest tiles and with the
 * smallest (tiles shrink towards convGroups workgroups; the weight gradient splits over the images).
 */
const variants: [string, ConvVariant, Partial<Tuning>][] = [
  ['explicit, tiled gemm', 'explicit', { gemm: 'tiled' }],
  ['explicit, direct gemm', 'explicit', { gemm: 'direct' }],
  // Weight gradient split into partial sums over the images (every case with 2+ images splits).
  [
    'explicit, tiled gemm, split-K weight gradient',
    'explicit',
    { gemm: 'tiled', conv: { forward: 'explicit', input: 'explicit', weight: 'explicit' }, splitKGroups: 1024 },
  ],
  ['implicit, general kernel', 'implicit', { conv3x3: false }],
  ['implicit, vec4-row 3x3 kernel where it applies', 'implicit', { conv3x3: true }],
  ['igemm, largest tiles, unsplit', 'igemm', { convGroups: 0, splitKGroups: 0 }],
  ['igemm, small tiles, split weight gradient', 'igemm', { convGroups: 4096, splitKGroups: 4096 }],
];
const withTuning = (gpu: Gpu, t: Partial<Tuning>): Gpu => ({ ...gpu, tuning: { ...gpu.tuning, ...t } });

/** float32 sums of `terms` products of values in [-1, 1) against float64 (see gemm.test.ts). */
const tol = (terms: number) => ({ atol: 2e-6 * terms, rtol: 1e-5 });

describe.each(variants)('conv2d, %s', (_name, variant, tuning) => {
  test.each(cases)('%s', async (_, g, withBias) => {
    const gpu = withTuning(await getGpu(), tuning);
    const { oh, ow } = convOutSize(g);
    const x = rand(g.n * g.c * g.h * g.w, 21);
    const w = rand(g.o * g.c * g.kh * g.kw, 22);
    const b = rand(g.o, 23);
    const dy = rand(g.n * g.o * oh * ow, 24);
    const xb = { buffer: buf(gpu, x) };
    const wb = { buffer: buf(gpu, w) };
    const dyb = { buffer: buf(gpu, dy) };
    const pointwise = g.kh === 1 && g.stride === 1 && g.pad === 0;
    expect(colElements(g)).toBe(pointwise ? 0 : g.n * g.c * g.kh * g.kw * oh * ow);
    // NaN-filled column buffers (out()): a gemm recorded before its im2col would read NaN and fail.
    const col = () => (pointwise || variant !== 'explicit' ? undefined : { buffer: out(gpu, colElements(g), 'test.col') });
    const opts = { variant };

    const wantY = ref.conv2d(g, x, w, withBias ? b : undefined);
    const y = out(gpu, wantY.length);
    const fwd = await conv2dForward(gpu, 'conv.fwd', g, xb, wb, withBias ? { buffer: buf(gpu, b) } : undefined, col(), { buffer: y }, opts);
    expect(fwd).toHaveLength(pointwise || variant !== 'explicit' ? 1 : 2);
    expectClose(await runAndRead(gpu, fwd, y, wantY.length), wantY, tol(g.c * g.kh * g.kw));

    const wantDx = ref.conv2dBackwardInput(g, dy, w);
    const dx = out(gpu, wantDx.length);
    const bwdX = await conv2dBackwardInput(gpu, 'conv.dx', g, dyb, wb, col(), { buffer: dx }, opts);
    expectClose(await runAndRead(gpu, bwdX, dx, wantDx.length), wantDx, tol(g.o * g.kh * g.kw));

    const wantDw = ref.conv2dBackwardWeight(g, dy, x);
    const dw = out(gpu, wantDw.length);
    const partialN = partialElements(g, { ...gpu.tuning, conv: { ...gpu.tuning.conv, weight: variant } });
    const pastBound = g.n >= 80;
    if (variant === 'explicit') expect(partialN > 0).toBe((gpu.tuning.splitKGroups > 0 && g.n > 1) || pastBound);
    if (pastBound) expect(partialN, 'the images are split').toBeGreaterThan(0);
    const partials = partialN > 0 ? { buffer: out(gpu, partialN, 'test.partials') } : undefined;
    const bwdW = await conv2dBackwardWeight(gpu, 'conv.dw', g, dyb, xb, col(), { buffer: dw }, { ...opts, partials });
    for (const d of [...fwd, ...bwdX, ...bwdW]) expect(d.loops, d.label).toBeLessThanOrEqual(MAX_LOOP_ITERATIONS);
    expectClose(await runAndRead(gpu, bwdW, dw, wantDw.length), wantDw, tol(g.n * oh * ow));
  });
});

describe('conv2d, explicit', () => {
  test('a strided convolution without a column buffer is refused', async () => {
    const gpu = await getGpu();
    const g = cases[1][1];
    const any = { buffer: out(gpu, 4096) };
    await expect(conv2dForward(gpu, 'conv.nocol', g, any, any, undefined, undefined, any, { variant: 'explicit' })).rejects.toThrow(
      /column buffer/,
    );
  });

  test('the igemm weight gradient splits into partial sums where the tuning asks for workgroups', () => {
    const g = cases[0][1]; // N=2, O=4, C*KH*KW = 27
    const igemm = { ...TUNINGS.gpu, conv: { forward: 'igemm', input: 'igemm', weight: 'igemm' } } as const;
    expect(partialElements(g, { ...igemm, splitKGroups: 4096 })).toBe(2 * 4 * 27);
    expect(partialElements(g, { ...igemm, splitKGroups: 0 })).toBe(0);
    expect(colElements(g, { tuning: igemm, pass: 'weight' })).toBe(0);
  });

  test('a pass the tuning runs implicit needs no column buffer', () => {
    const g = cases[1][1];
    const cpu = { ...TUNINGS.cpu, conv: { forward: 'implicit', input: 'explicit', weight: 'implicit' } } as const;
    expect(colElements(g, { tuning: cpu, pass: 'forward' })).toBe(0);
    expect(colElements(g, { tuning: cpu, pass: 'input' })).toBe(colElements(g));
    const explicit = { ...TUNINGS.gpu, conv: { forward: 'explicit', input: 'explicit', weight: 'explicit' } } as const;
    expect(colElements(g, { tuning: explicit, pass: 'weight' })).toBe(colElements(g));
  });
});
