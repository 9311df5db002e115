// The static cost model (src/kernels/cost.ts, src/runtime/costModel.ts): what a dispatch declares against
// numbers worked out by hand, a one-node graph against its lower bound, and the target for the 'gpu'
// profile: a ResNet-20 training step at batch 128 moves at most twice its lower bound.
import { describe, expect, test } from 'vitest';
import { createEngine } from '../../src/index';
import { gemm } from '../../src/kernels/gemm';
import { conv2dForward } from '../../src/kernels/conv';
import { GraphBuilder } from '../../src/graph/builder';
import { TUNINGS, type Tuning } from '../../src/gpu/tuning';
import type { Gpu } from '../../src/gpu/gpu';
import { modelStepCost } from '../../src/runtime/network';
import { stepCost, summarise } from '../../src/runtime/costModel';
import { MAX_LOOP_ITERATIONS } from '../../src/kernels/loops';
import { getGpu, out } from './harness';
import { GraphRunner } from './graphRunner';

const withTuning = (gpu: Gpu, t: Partial<Tuning>): Gpu => ({ ...gpu, tuning: { ...gpu.tuning, ...t } });

describe('dispatch costs, worked by hand', () => {
  test('tiled GEMM: C[b] = A B[b], m=20 n=40 k=24, 2 batches, A shared', async () => {
    const gpu = withTuning(await getGpu(), { gemm: 'tiled' });
    const s = {
      m: 20,
      n: 40,
      k: 24,
      batch: 2,
      aBatch: 0,
      aRow: 24,
      aCol: 1,
      bBatch: 960,
      bRow: 40,
      bCol: 1,
      cBatch: 800,
      cRow: 40,
      cCol: 1,
    };
    const d = await gemm(gpu, 'gemm', s, { buffer: out(gpu, 480) }, { buffer: out(gpu, 1920) }, { buffer: out(gpu, 1600) });
    // m = 20 takes 8 x 4 = 32-row tiles and n = 40 16 x 4 = 64-column ones: one workgroup per batch, which
    // loads A (20 x 24) and its B (24 x 40) once and multiply-adds its whole 32 x 64 tile over K padded to
    // 32 (two steps of BK = 16); C is written once.
    expect(d.cost).toEqual({
      flops: 2 * (32 * 64 * 32) * 2,
      bytesRead: 4 * 2 * (20 * 24 + 24 * 40),
      bytesWritten: 4 * 2 * 20 * 40,
    });
  });

  test('igemm convolution forward: N=2 C=3 8x8, O=4, 3x3, stride 1, pad 1', async () => {
    const gpu = withTuning(await getGpu(), { convGroups: 0 });
    const g = { n: 2, c: 3, h: 8, w: 8, o: 4, kh: 3, kw: 3, stride: 1, pad: 1 };
    const x = { buffer: out(gpu, 384) };
    const w = { buffer: out(gpu, 108) };
    const [d] = await conv2dForward(gpu, 'conv', g, x, w, undefined, undefined, { buffer: out(gpu, 512) }, { variant: 'igemm' });
    // One workgroup holds all 4 output channels of both 8x8 images (a 10x10 patch a channel, with the
    // padding, fits workgroup memory 3 channels at a time): it stages the 4 x 3 x 9 weights once and the
    // images' 2 x 3 x 8 x 8 values once (the padding is never loaded); each of the 512 outputs takes the
    // 27 multiply-adds of its taps, and is written once.
    expect(d.cost).toEqual({ flops: 2 * 512 * 27, bytesRead: 4 * (108 + 384), bytesWritten: 4 * 512 });
  });

  test('a one-convolution graph: the step sums its dispatches and meets its lower bound exactly', async () => {
    const gpu = withTuning(await getGpu(), { convGroups: 0, conv: { ...TUNINGS.gpu.conv } });
    const b = new GraphBuilder();
    const x = b.tensor('x', [2, 3, 8, 8], 'input');
    const w = b.tensor('w', [4, 3, 3, 3], 'param');
    b.op('conv2d', 'conv', [x, w], { stride: 1, pad: 1 });
    const runner = await GraphRunner.create(gpu, b.graph);
    try {
      const c = stepCost(b.graph, runner.compiled.lowered, new Set(['forward']));
      // Lower bound: x (384 floats) and w (108) read once, y (512) written once.
      expect(c.lowerBoundBytes).toBe(4 * (384 + 108 + 512));
      expect(c).toMatchObject({ dispatches: 1, flops: 2 * 512 * 27, bytesRead: 4 * (108 + 384), bytesWritten: 4 * 512, ratio: 1 });
      expect(c.byKind.conv2d.dispatches).toBe(1);
    } finally {
      runner.destroy();
    }
  });
});

// Compiles (never runs) ResNet-20's training step at batch 128 under each profile, on whatever adapter
// runs the tests: a minute or so on SwiftShader, most of it compiling the 'gpu' profile's pipelines.
test('ResNet-20, batch 128: the gpu profile moves at most twice the lower bound', async () => {
  const engine = await createEngine();
  const resnet20 = { arch: 'residual', depth: 20 } as const;
  // Before issue 13: explicit im2col + GEMM convolutions and one workgroup per BatchNorm channel.
  const explicit = { ...TUNINGS.gpu, conv: { forward: 'explicit', input: 'explicit', weight: 'explicit' }, bnReduce: 'workgroup' } as const;
  const figures: Record<string, ReturnType<typeof summarise>> = {};
  for (const [name, t] of [
    ['gpu', TUNINGS.gpu],
    ['gpu, explicit convolutions', explicit],
    ['cpu', TUNINGS.cpu],
  ] as const) {
    figures[name] = summarise(await modelStepCost(engine.gpu, resnet20, 128, t));
    console.log(`ResNet-20 b128, ${name}: ${JSON.stringify(figures[name])}`);
  }
  expect(figures.gpu.lowerBoundMb).toBe(figures.cpu.lowerBoundMb); // one graph, whatever runs it
  // No invocation of any profile loops past what lavapipe runs (src/kernels/loops.ts): at batch 128 the cpu
  // profile's serial BatchNorm statistics of a 32x32 stage would loop 2 x 128 x 257 = 65,792 times without the
  // fallback to the workgroup entry; prepare() refuses such a dispatch, so the build is the check, and the figure
  // shows how close it comes.
  for (const f of Object.values(figures)) expect(f.maxLoops).toBeLessThanOrEqual(MAX_LOOP_ITERATIONS);
  expect(figures.gpu.ratio).toBeLessThanOrEqual(2);
  expect(figures.gpu.mbRead + figures.gpu.mbWritten).toBeLessThan(figures['gpu, explicit convolutions'].mbRead);
});
