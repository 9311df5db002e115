// The shared geometry (src/geometry.ts) against sizes worked out by hand: kernels and references both read it.
import { describe, expect, test } from 'vitest';
import { convGeom, convOutSize, perChannel, shortcutOut, shortcutShape } from '../../src/geometry';

describe('geometry', () => {
  test('convolution output sizes', () => {
    const g = convGeom([2, 3, 32, 32], [16, 3, 3, 3], { stride: 1, pad: 1 });
    expect(g).toEqual({ n: 2, c: 3, h: 32, w: 32, o: 16, kh: 3, kw: 3, stride: 1, pad: 1 });
    expect(convOutSize(g)).toEqual({ oh: 32, ow: 32 });
    // (9 + 2 - 3) / 2 + 1 = 5 rows, (7 + 2 - 3) / 2 + 1 = 4 columns.
    expect(convOutSize({ ...g, h: 9, w: 7, stride: 2 })).toEqual({ oh: 5, ow: 4 });
    expect(convOutSize({ ...g, kh: 1, kw: 1, stride: 2, pad: 0 })).toEqual({ oh: 16, ow: 16 });
    expect(() => convOutSize({ ...g, h: 1, pad: 0 })).toThrow(/no output/);
  });

  test('per-channel view and option-A shortcut', () => {
    expect(perChannel([4, 16, 8, 8])).toEqual({ n: 4, c: 16, s: 64 });
    expect(perChannel([4, 10])).toEqual({ n: 4, c: 10, s: 1 });
    const s = shortcutShape([2, 16, 32, 32], 32, 2);
    expect(s).toEqual({ n: 2, cin: 16, h: 32, w: 32, cout: 32, stride: 2 });
    expect(shortcutOut(s)).toEqual({ oh: 16, ow: 16, pad: 8 });
    expect(shortcutOut({ ...s, h: 7, w: 5 })).toEqual({ oh: 4, ow: 3, pad: 8 });
  });
});
