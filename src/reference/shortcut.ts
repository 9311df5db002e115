// Float64 reference for the option-A shortcut: x[:, :, ::s, ::s] zero-padded in channels, the new
// channels split equally before and after the existing ones (pad = (cout - cin) / 2 on each side).
import { shortcutOut, type ShortcutShape } from '../geometry';

type Arr = ArrayLike<number>;

export function shortcutA(s: ShortcutShape, x: Arr): Float64Array {
  const { oh, ow, pad } = shortcutOut(s);
  const y = new Float64Array(s.n * s.cout * oh * ow);
  for (let n = 0; n < s.n; n++)
    for (let c = 0; c < s.cin; c++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          y[((n * s.cout + c + pad) * oh + i) * ow + j] = x[((n * s.cin + c) * s.h + i * s.stride) * s.w + j * s.stride];
  return y;
}

export function shortcutABackward(s: ShortcutShape, dy: Arr): Float64Array {
  const { oh, ow, pad } = shortcutOut(s);
  const dx = new Float64Array(s.n * s.cin * s.h * s.w);
  for (let n = 0; n < s.n; n++)
    for (let c = 0; c < s.cin; c++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          dx[((n * s.cin + c) * s.h + i * s.stride) * s.w + j * s.stride] = dy[((n * s.cout + c + pad) * oh + i) * ow + j];
  return dx;
}
