// Float64 reference for torch.optim.SGD, dampening 0, no Nesterov (src/kernels/sgd.ts).
type Arr = ArrayLike<number>;

export interface SgdHyper {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** d = g + wd * p; buf = momentum * buf + d (buf starts at 0, which equals PyTorch's first-step copy); p -= lr * buf. */
export function sgdStep(h: SgdHyper, p: Arr, g: Arr, buf: Arr) {
  const nb = new Float64Array(p.length);
  const np = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const d = g[i] + h.weightDecay * p[i];
    nb[i] = h.momentum * buf[i] + d;
    np[i] = p[i] - h.lr * nb[i];
  }
  return { param: np, momentum: nb };
}
