import { describe, expect, test } from 'vitest';
import * as ref from '../../src/reference/residual';
import { add } from '../../src/kernels/residual';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

describe('residual add', () => {
  // 1 element; 70_001 is not a multiple of the workgroup size; multiples of 4 take the vec4 entry (add4).
  test.each([1, 70_001, 4, 70_004])('plain and fused with relu, %i elements', async (count) => {
    const gpu = await getGpu();
    const a = rand(count, 11);
    const b = rand(count, 12);
    const ab = { buffer: buf(gpu, a) };
    const bb = { buffer: buf(gpu, b) };
    const y = out(gpu, count);
    // One f32 addition of f32 inputs is the correctly rounded f64 sum: tolerance is half an ulp.
    const tol = { atol: 0, rtol: 2 ** -24 };
    expectClose(await runAndRead(gpu, await add(gpu, 'add', count, ab, bb, { buffer: y }), y, count), ref.add(a, b), tol);
    const yr = out(gpu, count);
    expectClose(
      await runAndRead(gpu, await add(gpu, 'add.relu', count, ab, bb, { buffer: yr }, { relu: true }), yr, count),
      ref.addRelu(a, b),
      tol,
    );
  });

  // 16.7M elements fold the grid into y (about 30 s on SwiftShader, so only the fused variant).
  test('fused with relu, grid folded into y', async () => {
    const gpu = await getGpu();
    const count = (1 << 24) + 3;
    const a = rand(count, 14);
    const b = rand(count, 15);
    const y = out(gpu, count);
    const got = await runAndRead(
      gpu,
      await add(gpu, 'add.big', count, { buffer: buf(gpu, a) }, { buffer: buf(gpu, b) }, { buffer: y }, { relu: true }),
      y,
      count,
    );
    expectClose(got, ref.addRelu(a, b), { atol: 0, rtol: 2 ** -24 });
  });

  test('a and b may be the same buffer; out may not alias an input', async () => {
    const gpu = await getGpu();
    const count = 1000;
    const a = rand(count, 13);
    const ab = { buffer: buf(gpu, a) };
    const y = out(gpu, count);
    expectClose(await runAndRead(gpu, await add(gpu, 'add.self', count, ab, ab, { buffer: y }), y, count), ref.add(a, a), {
      atol: 0,
      rtol: 0,
    });
    await expect(add(gpu, 'add.alias', count, ab, { buffer: y }, ab)).rejects.toThrow(/may not share a buffer/);
  });
});
