import { describe, test } from 'vitest';
import * as ref from '../../src/reference/shortcut';
import { shortcutA, shortcutABackward } from '../../src/kernels/shortcut';
import { shortcutOut, type ShortcutShape } from '../../src/geometry';
import { buf, expectClose, getGpu, out, rand, runAndRead } from './harness';

const shapes: [string, ShortcutShape][] = [
  ['identity', { n: 2, cin: 3, h: 5, w: 7, cout: 3, stride: 1 }],
  ['stride 2, double channels', { n: 2, cin: 4, h: 8, w: 8, cout: 8, stride: 2 }],
  ['odd sizes, odd padding', { n: 1, cin: 3, h: 7, w: 5, cout: 6, stride: 2 }],
  ['stride 3, pad only after', { n: 3, cin: 5, h: 7, w: 9, cout: 6, stride: 3 }],
  ['CIFAR stage 2 entry', { n: 2, cin: 16, h: 32, w: 32, cout: 32, stride: 2 }],
];

describe('option-A shortcut', () => {
  // A copy moves values untouched, so GPU and reference must agree exactly; outputs start as NaN,
  // so an element the kernel skips (a padded channel, a skipped position) fails.
  test.each(shapes)('%s', async (_name, s) => {
    const gpu = await getGpu();
    const { oh, ow } = shortcutOut(s);
    const xCount = s.n * s.cin * s.h * s.w;
    const yCount = s.n * s.cout * oh * ow;
    const x = rand(xCount, 21);
    const dy = rand(yCount, 22);
    const y = out(gpu, yCount);
    const gotY = await runAndRead(gpu, await shortcutA(gpu, 'shortcut', s, { buffer: buf(gpu, x) }, { buffer: y }), y, yCount);
    expectClose(gotY, ref.shortcutA(s, x), { atol: 0, rtol: 0 });
    const dx = out(gpu, xCount);
    const gotDx = await runAndRead(
      gpu,
      await shortcutABackward(gpu, 'shortcut.bwd', s, { buffer: buf(gpu, dy) }, { buffer: dx }),
      dx,
      xCount,
    );
    expectClose(gotDx, ref.shortcutABackward(s, dy), { atol: 0, rtol: 0 });
  });
});
