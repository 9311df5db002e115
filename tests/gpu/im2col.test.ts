import { describe, test } from 'vitest';
import * as ref from '../../src/reference/im2col';
import { col2im, im2col } from '../../src/kernels/im2col';
import type { ConvGeom } from '../../src/geometry';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

const geoms: [string, ConvGeom][] = [
  ['3x3 s1 p1', { n: 2, c: 3, h: 8, w: 8, o: 4, kh: 3, kw: 3, stride: 1, pad: 1 }],
  ['3x3 s2 p1, odd sizes', { n: 2, c: 4, h: 9, w: 7, o: 8, kh: 3, kw: 3, stride: 2, pad: 1 }],
  ['1x1 s2 p0', { n: 2, c: 5, h: 8, w: 6, o: 3, kh: 1, kw: 1, stride: 2, pad: 0 }],
  ['5x5 s1 p2', { n: 2, c: 2, h: 6, w: 5, o: 1, kh: 5, kw: 5, stride: 1, pad: 2 }],
  ['N=1 C=3 7x5 3x3 s1 p1', { n: 1, c: 3, h: 7, w: 5, o: 2, kh: 3, kw: 3, stride: 1, pad: 1 }],
  ['N=1 C=3 7x5 3x3 s2 p0', { n: 1, c: 3, h: 7, w: 5, o: 2, kh: 3, kw: 3, stride: 2, pad: 0 }],
];

describe('im2col / col2im', () => {
  test.each(geoms)('%s', async (_, g) => {
    const gpu = await getGpu();
    const x = rand(g.n * g.c * g.h * g.w, 11);
    const wantCol = ref.im2col(g, x);
    const col = out(gpu, wantCol.length);
    // A copy, nothing computed: exact.
    expectClose(
      await runAndRead(gpu, await im2col(gpu, 'im2col', g, { buffer: buf(gpu, x) }, { buffer: col }), col, wantCol.length),
      wantCol,
      { atol: 0, rtol: 0 },
    );

    const dcol = rand(wantCol.length, 12);
    const wantDx = ref.col2im(g, dcol);
    const dx = out(gpu, wantDx.length);
    const got = await runAndRead(gpu, await col2im(gpu, 'col2im', g, { buffer: buf(gpu, dcol) }, { buffer: dx }), dx, wantDx.length);
    // Each element sums at most KH*KW terms in [-1, 1) in float32.
    expectClose(got, wantDx, { atol: 1e-6 * g.kh * g.kw, rtol: 0 });
  });
});
