// What a dispatch costs, declared by its wrapper when it is built (Dispatch.cost) from the kernel's access
// pattern; src/runtime/costModel.ts sums it over a step. A static model, for comparing kernel variants on
// hardware we cannot time:
// - flops: the floating-point operations the dispatch executes as written (a multiply-add is 2; lanes that
//   compute padding and then drop it count too).
// - bytesRead: storage traffic when every workgroup fetches each value it reads once per sweep it makes over
//   the data that holds it. Reuse inside a workgroup is free (registers, workgroup memory, or invocations of
//   one workgroup reading the same value: a tile's weights, per-channel parameters, overlapping taps); reuse
//   across workgroups is not (no L2 model): two workgroups that read one value both pay for it. A kernel
//   that sweeps a large array twice (a two-pass statistic) pays twice. Reads that a masked lane makes of a
//   dummy address (element 0) are not counted.
// - bytesWritten: the bytes it stores.

export interface Cost {
  flops: number;
  bytesRead: number;
  bytesWritten: number;
}

export const F32 = 4;

/** A cost from counts of float32 values read and written. */
export const cost = (flops: number, floatsRead: number, floatsWritten: number): Cost => ({
  flops,
  bytesRead: floatsRead * F32,
  bytesWritten: floatsWritten * F32,
});

export const ZERO_COST: Cost = { flops: 0, bytesRead: 0, bytesWritten: 0 };

export function addCosts(costs: readonly Cost[]): Cost {
  const out = { ...ZERO_COST };
  for (const c of costs) {
    out.flops += c.flops;
    out.bytesRead += c.bytesRead;
    out.bytesWritten += c.bytesWritten;
  }
  return out;
}

/** |[lo, lo + len) ∩ [0, size)|: how much of a window starting at lo lies inside an axis of `size`. */
export const inside = (lo: number, len: number, size: number) => Math.max(0, Math.min(lo + len, size) - Math.max(lo, 0));

/**
 * Per-channel parameters a flat kernel reads: `count` elements of a [N, C, S] tensor, `perGroup` consecutive
 * elements per workgroup, `params` values per channel: each workgroup fetches those of the channels its
 * elements belong to once (floats).
 */
export function channelParamFloats(count: number, perGroup: number, s: number, c: number, params: number): number {
  let total = 0;
  for (let start = 0; start < count; start += perGroup) {
    const end = Math.min(count, start + perGroup);
    const rows = Math.floor((end - 1) / s) - Math.floor(start / s) + 1;
    total += Math.min(c, rows) * params;
  }
  return total;
}

/** A flat kernel: `read` and `written` values per element, `flops` per element. */
export const elementwise = (count: number, read: number, written: number, flops = 0): Cost =>
  cost(flops * count, read * count, written * count);

/** Number of distinct values in a list of numbers. */
export const distinct = (xs: Iterable<number>) => new Set(xs).size;

/**
 * Along one axis of a convolution: the pairs (output position i < out, tap t < k) whose input position
 * i*stride - pad + t lies inside [0, size) — the taps that read the image rather than its padding.
 */
export function tapsInside(out: number, k: number, stride: number, pad: number, size: number): number {
  let n = 0;
  for (let t = 0; t < k; t++) for (let i = 0; i < out; i++) if (i * stride - pad + t >= 0 && i * stride - pad + t < size) n++;
  return n;
}
