import { describe, test } from 'vitest';
import * as ref from '../../src/reference/relu';
import { reluBackward, reluForward } from '../../src/kernels/relu';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

describe('relu', () => {
  // 70_001 elements: not a multiple of the workgroup size; 16.7M folds the grid into y. Counts that are
  // multiples of 4 take the vec4 entries (4, 70_004; their grid folds the same way, grid1d).
  test.each([1, 70_001, (1 << 24) + 3, 4, 70_004])('forward and backward, %i elements', async (count) => {
    const gpu = await getGpu();
    const x = rand(count, 7);
    const dy = rand(count, 8);
    const xb = buf(gpu, x);
    const y = out(gpu, count);
    expectClose(await runAndRead(gpu, await reluForward(gpu, 'relu', count, { buffer: xb }, { buffer: y }), y, count), ref.relu(x), {
      atol: 0,
      rtol: 0,
    });
    const dx = out(gpu, count);
    const got = await runAndRead(
      gpu,
      await reluBackward(gpu, 'relu.bwd', count, { buffer: buf(gpu, dy) }, { buffer: y }, { buffer: dx }),
      dx,
      count,
    );
    expectClose(got, ref.reluBackward(dy, ref.relu(x)), { atol: 0, rtol: 0 });
  });
});
