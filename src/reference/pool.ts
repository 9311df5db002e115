// Float64 reference for src/kernels/pool.ts: global average pooling and its backward, and the
// per-channel sum of bias gradients. Tensors are viewed as [N, C, S], S = H*W.
import type { ChannelShape } from '../geometry';

type Arr = ArrayLike<number>;

/** [N, C, S] -> [N, C] */
export function avgPool(n: number, c: number, s: number, x: Arr): Float64Array {
  const y = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let acc = 0;
    for (let k = 0; k < s; k++) acc += x[i * s + k];
    y[i] = acc / s;
  }
  return y;
}

export function avgPoolBackward(n: number, c: number, s: number, dy: Arr): Float64Array {
  const dx = new Float64Array(n * c * s);
  for (let i = 0; i < n * c; i++) for (let k = 0; k < s; k++) dx[i * s + k] = dy[i] / s;
  return dx;
}

/** sum over N and S per channel (bias gradients). */
export function channelSum(sh: ChannelShape, x: Arr): Float64Array {
  const out = new Float64Array(sh.c);
  for (let n = 0; n < sh.n; n++) for (let c = 0; c < sh.c; c++) for (let i = 0; i < sh.s; i++) out[c] += x[(n * sh.c + c) * sh.s + i];
  return out;
}
