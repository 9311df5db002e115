import { describe, test } from 'vitest';
import * as ref from '../../src/reference/sumsq';
import { sumSquares } from '../../src/kernels/sumsq';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

async function check(variant: 'workgroup' | 'serial', segments: { offset: number; count: number }[], x: Float64Array, rtol: number) {
  const gpu = await getGpu();
  const y = out(gpu, segments.length);
  const got = await runAndRead(
    gpu,
    await sumSquares(gpu, 'sumsq', segments, { buffer: buf(gpu, x) }, { buffer: y }, { variant }),
    y,
    segments.length,
  );
  const want = segments.map((s) => ref.sumSquares(x.subarray(s.offset, s.offset + s.count)));
  expectClose(got, want, { atol: 0, rtol });
}

// Both variants through the same expectations: a workgroup per segment (GPUs), an invocation per segment (CPU adapters).
describe.each(['workgroup', 'serial'] as const)('sum of squares, %s', (variant) => {
  // Awkward segments: empty, one element, shorter than the workgroup, not a multiple of it, unaligned offsets.
  // Each sum has at most a few hundred f32 roundings of similar terms: 1e-6 relative.
  test('mixed segments', async () => {
    const x = rand(5000, 41, -2, 2);
    const segments = [
      { offset: 0, count: 0 },
      { offset: 3, count: 1 },
      { offset: 4, count: 100 },
      { offset: 104, count: 257 },
      { offset: 361, count: 4639 },
      { offset: 0, count: 5000 },
    ];
    await check(variant, segments, x, 1e-6);
  });

  // The whole parameter arena as one segment. All terms positive and alike, the worst case for a
  // running f32 sum (its relative error here is 9e-5); the kernel's sum is off by ~2e-7 in a CPU
  // simulation, so 2e-6 is asserted.
  test('one segment of 1e6 elements', async () => {
    const x = rand(1_000_000, 42, 0.5, 1);
    await check(
      variant,
      [
        { offset: 0, count: 1_000_000 },
        { offset: 17, count: 999_983 },
      ],
      x,
      2e-6,
    );
  });
});
