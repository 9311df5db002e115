import { describe, test } from 'vitest';
import * as ref from '../../src/reference/pool';
import { avgPool, avgPoolBackward, channelSum } from '../../src/kernels/pool';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

describe('global average pooling', () => {
  // [n, c, s]: N=1 with odd C and 7 pixels, the network's 8x8 head, a 7x5 map, s = 1.
  test.each([
    [1, 3, 7],
    [4, 16, 64],
    [3, 5, 35],
    [130, 10, 1],
  ])('forward and backward, n=%i c=%i s=%i', async (n, c, s) => {
    const gpu = await getGpu();
    const x = rand(n * c * s, 1, -2, 3);
    const y = out(gpu, n * c);
    // A float32 sum of s values ~1 divided by s: a few roundings of the mean.
    expectClose(
      await runAndRead(gpu, await avgPool(gpu, 'pool', n, c, s, { buffer: buf(gpu, x) }, { buffer: y }), y, n * c),
      ref.avgPool(n, c, s, x),
      {
        atol: 1e-6,
        rtol: 1e-6,
      },
    );
    const dy = rand(n * c, 2);
    const dx = out(gpu, n * c * s);
    const got = await runAndRead(
      gpu,
      await avgPoolBackward(gpu, 'pool.bwd', n, c, s, { buffer: buf(gpu, dy) }, { buffer: dx }),
      dx,
      n * c * s,
    );
    expectClose(got, ref.avgPoolBackward(n, c, s, dy), { atol: 0, rtol: 2e-7 }); // one float32 division
  });
});

describe.each(['workgroup', 'serial'] as const)('channel sum (%s)', (variant) => {
  // The fc's bias gradient ({n: N, c: K, s: 1}), conv shapes, and a long channel (m = 8,000 > the workgroup).
  test.each([
    { n: 1, c: 3, s: 7 },
    { n: 4, c: 16, s: 64 },
    { n: 130, c: 10, s: 1 },
    { n: 8, c: 3, s: 1000 },
  ])('n=$n c=$c s=$s', async (sh) => {
    const gpu = await getGpu();
    const x = rand(sh.n * sh.c * sh.s, 3);
    const o = out(gpu, sh.c);
    const got = await runAndRead(gpu, await channelSum(gpu, 'bias.grad', sh, { buffer: buf(gpu, x) }, { buffer: o }, { variant }), o, sh.c);
    // Sums of m values in [-1, 1) (|terms| add up to ~m/2): 1e-7 * m absolute is ~3 float32 roundings of that.
    expectClose(got, ref.channelSum(sh, x), { atol: 1e-7 * sh.n * sh.s, rtol: 1e-6 });
  });
});
