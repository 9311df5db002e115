import { describe, expect, test } from 'vitest';
import * as ref from '../../src/reference/maxpool';
import { maxPool, maxPoolBackward } from '../../src/kernels/maxpool';
import { maxPoolOut, type MaxPoolShape } from '../../src/geometry';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

describe('max pooling', () => {
  // The ImageNet stem's 3x3 stride-2 pad-1 pool on an odd and an even map, a 2x2 stride-2 pool, a 3x3 stride-1
  // pool (windows overlap thrice a row), and a window as large as the map.
  const shapes: MaxPoolShape[] = [
    { n: 2, c: 3, h: 9, w: 7, k: 3, stride: 2, pad: 1 },
    { n: 1, c: 4, h: 32, w: 32, k: 3, stride: 2, pad: 1 },
    { n: 3, c: 2, h: 6, w: 8, k: 2, stride: 2, pad: 0 },
    { n: 2, c: 2, h: 5, w: 5, k: 3, stride: 1, pad: 1 },
    { n: 1, c: 5, h: 4, w: 4, k: 4, stride: 1, pad: 0 },
  ];
  // Distinct values, and values drawn from four levels (most windows then hold ties: the first in row-major
  // order must win, in the forward value's position and in the gradient).
  test.each(
    shapes.flatMap((s) => [
      { ...s, ties: false },
      { ...s, ties: true },
    ]),
  )('n=$n c=$c h=$h w=$w, k=$k stride=$stride pad=$pad, ties $ties', async ({ ties, ...s }) => {
    const gpu = await getGpu();
    const { oh, ow } = maxPoolOut(s);
    const inputs = s.n * s.c * s.h * s.w;
    const x = rand(inputs, s.h * 7 + s.k, -2, 2).map((v) => (ties ? Math.round(v) : v));
    const xb = buf(gpu, x);
    const y = out(gpu, s.n * s.c * oh * ow);
    const gotY = await runAndRead(gpu, await maxPool(gpu, 'maxpool', s, { buffer: xb }, { buffer: y }), y, s.n * s.c * oh * ow);
    expect(Array.from(gotY)).toEqual(Array.from(ref.maxPool(s, Float32Array.from(x)))); // a copy: exact
    const dy = rand(s.n * s.c * oh * ow, 5);
    const dx = out(gpu, inputs);
    const gotDx = await runAndRead(
      gpu,
      await maxPoolBackward(gpu, 'maxpool.bwd', s, { buffer: buf(gpu, dy) }, { buffer: xb }, { buffer: dx }),
      dx,
      inputs,
    );
    // Each element sums the dy of the windows it wins: at most ceil(k/stride)^2 float32 additions.
    expectClose(gotDx, ref.maxPoolBackward(s, Float32Array.from(dy), Float32Array.from(x)), { atol: 1e-6, rtol: 1e-6 });
  });

  test('a window that cannot fit, or padding over half the window, is refused with the shapes', async () => {
    const gpu = await getGpu();
    const b = { buffer: out(gpu, 4) };
    await expect(maxPool(gpu, 'mp', { n: 1, c: 1, h: 2, w: 2, k: 3, stride: 1, pad: 0 }, b, b)).rejects.toThrow(
      /3x3 window leaves nothing of a 2x2 map/,
    );
    await expect(maxPool(gpu, 'mp', { n: 1, c: 1, h: 4, w: 4, k: 3, stride: 2, pad: 2 }, b, b)).rejects.toThrow(/pad <= k\/2/);
  });
});
