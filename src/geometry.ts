// The shapes ops are described by, shared by the kernel wrappers (src/kernels), their float64 references
// (src/reference) and the op table (src/graph/ops), with how each follows from tensor shapes; also the
// augmentation's options. Defined once here so a kernel and its reference cannot drift apart. A leaf
// module: it imports nothing.

type Shape = readonly number[];

/** Convolution: x NCHW [n, c, h, w], w OIHW [o, c, kh, kw]. */
export interface ConvGeom {
  n: number;
  c: number;
  h: number;
  w: number; // input
  o: number;
  kh: number;
  kw: number; // output channels, kernel
  stride: number;
  pad: number;
}

/** Output size along one axis of a convolution (< 1 when the kernel does not fit the padded input). */
export const outSize = (size: number, k: number, stride: number, pad: number) => Math.floor((size + 2 * pad - k) / stride) + 1;

/** Output spatial size; throws when the kernel does not fit the padded input. */
export function convOutSize(g: ConvGeom): { oh: number; ow: number } {
  const oh = outSize(g.h, g.kh, g.stride, g.pad);
  const ow = outSize(g.w, g.kw, g.stride, g.pad);
  if (oh < 1 || ow < 1 || g.stride < 1) throw new Error(`convolution ${JSON.stringify(g)} has no output`);
  return { oh, ow };
}

/** The geometry of a convolution from the shapes of its input x [N, C, H, W] and weight w [O, C, KH, KW]. */
export function convGeom(x: Shape, w: Shape, a: { stride: number; pad: number }): ConvGeom {
  const [n, c, h, wd] = x;
  const [o, , kh, kw] = w;
  return { n, c, h, w: wd, o, kh, kw, stride: a.stride, pad: a.pad };
}

/**
 * A tensor viewed per channel as [N, C, S]: BatchNorm, pooling and bias gradients. S = H*W, or 1 for a
 * [N, K] matrix viewed per column.
 */
export interface ChannelShape {
  n: number;
  c: number;
  s: number;
}

/** The per-channel view [N, C, S] of an [N, C, ...] tensor. */
export const perChannel = (shape: Shape): ChannelShape => ({ n: shape[0], c: shape[1], s: shape.slice(2).reduce((a, b) => a * b, 1) });

/** Option-A shortcut: x is [n, cin, h, w], y is [n, cout, ceil(h/stride), ceil(w/stride)]. */
export interface ShortcutShape {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  stride: number;
}

/** The shortcut of input x [N, Cin, H, W] to `cout` channels. */
export function shortcutShape(x: Shape, cout: number, stride: number): ShortcutShape {
  const [n, cin, h, w] = x;
  return { n, cin, h, w, cout, stride };
}

/** Output size, and the zero channels before the existing ones (the rest of cout - cin go after). */
export const shortcutOut = (s: ShortcutShape) => ({
  oh: Math.ceil(s.h / s.stride),
  ow: Math.ceil(s.w / s.stride),
  pad: (s.cout - s.cin) >> 1,
});

/** Max pooling of x [n, c, h, w] with a k x k window (PyTorch's MaxPool2d, ceil_mode off, dilation 1). */
export interface MaxPoolShape {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  pad: number;
}

export const maxPoolShape = (x: Shape, a: { k: number; stride: number; pad: number }): MaxPoolShape => ({
  n: x[0],
  c: x[1],
  h: x[2],
  w: x[3],
  ...a,
});

export const maxPoolOut = (s: MaxPoolShape) => ({ oh: outSize(s.h, s.k, s.stride, s.pad), ow: outSize(s.w, s.k, s.stride, s.pad) });

/**
 * Strided, batched GEMM C = A B (+ bias). Element (m,k) of A for batch b sits at
 * a[b*aBatch + m*aRow + k*aCol]; likewise B (k,n) and C (m,n). Transposes are just swapped strides. With
 * reduceBatch, C is one matrix summed over all batches; with reduceBatch and `splits` > 1, C holds `splits`
 * partial sums, cBatch apart: partial z sums the batches z*per .. z*per+per-1, per = ceil(batch / splits)
 * (split-K over the batches, summed afterwards). bias: 'row' adds bias[m], 'col' adds bias[n].
 */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  batch: number;
  aBatch: number;
  aRow: number;
  aCol: number;
  bBatch: number;
  bRow: number;
  bCol: number;
  cBatch: number;
  cRow: number;
  cCol: number;
  reduceBatch?: boolean;
  splits?: number;
  bias?: 'none' | 'row' | 'col';
}

/**
 * Training-data augmentation of a batch of 32x32 CIFAR images: random crop of the zero-padded image,
 * horizontal flip, then (pixel / 255 - mean) / std per channel. pad 0 and flip false give plain
 * normalisation (evaluation).
 */
export interface AugmentOptions {
  batch: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** Zero padding on each side before the 32x32 crop; the crop offsets are uniform in 0..2*pad. */
  pad: number;
  flip: boolean;
}
