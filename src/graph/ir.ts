// The graph's vocabulary: tensors, op kinds with their attributes, nodes. A network is built once as a
// static Graph; autodiff appends backward nodes to the same Graph; the planner and executor read it.

export type DType = 'f32' | 'i32';

/**
 * input/labels: written by the caller each step; param/state (BN running statistics): persistent, in the
 * parameter arena; gradient: a parameter's gradient, persistent in the gradient arena; metrics: the loss
 * kernel's small output; activation: everything else (forward values and intermediate gradients), planned by liveness.
 */
export type Role = 'input' | 'labels' | 'param' | 'state' | 'gradient' | 'metrics' | 'activation';

export interface Tensor {
  id: number;
  name: string;
  shape: number[];
  dtype: DType;
  role: Role;
}

/** forward: the network; running: BN running-statistics updates (train-mode forward only); backward: gradients. */
export type Phase = 'forward' | 'running' | 'backward';

export interface OpAttrs {
  // forward
  conv2d: { stride: number; pad: number }; // inputs [x, w] or [x, w, b]
  batchNorm: { mode: 'train' | 'eval'; relu: boolean }; // train: [x, gamma, beta] -> [y, mean, var]; eval: [x, gamma, beta, runMean, runVar] -> [y]
  bnRunningUpdate: { count: number }; // [mean, var, runMean, runVar] -> [] (in place); count = values per channel (unbiased variance)
  relu: Record<string, never>;
  add: { relu: boolean };
  shortcutA: { stride: number; cout: number };
  avgPool: Record<string, never>;
  maxPool: { k: number; stride: number; pad: number }; // [x] -> [y] (PyTorch's MaxPool2d, ceil_mode off)
  linear: Record<string, never>; // [x, w, b]
  softmaxXent: Record<string, never>; // [logits, labels] -> [metrics(4), dlogits]
  // backward
  conv2dGradInput: { stride: number; pad: number }; // [dy, w] -> [dx]
  conv2dGradWeight: { stride: number; pad: number }; // [dy, x] -> [dw]
  biasGrad: Record<string, never>; // [dy] -> [db] (sum over all but the channel axis)
  batchNormGrad: Record<string, never>; // [dy, x, mean, var, gamma] -> [dx, dgamma, dbeta]
  bnEvalGradInput: Record<string, never>; // eval-mode BN, input gradient only: [dy, gamma, runVar] -> [dx = dy * gamma / sqrt(runVar + eps)]
  reluGrad: Record<string, never>; // [dy, y] -> [dx]
  shortcutAGrad: { stride: number }; // [dy] -> [dx]
  avgPoolGrad: Record<string, never>; // [dy] -> [dx]
  maxPoolGrad: { k: number; stride: number; pad: number }; // [dy, x] -> [dx] (each window's winner decided again from x)
  linearGradInput: Record<string, never>; // [dy, w] -> [dx]
  linearGradWeight: Record<string, never>; // [dy, x] -> [dw]
}

export type OpKind = keyof OpAttrs;

export interface Node<K extends OpKind = OpKind> {
  id: number;
  kind: K;
  name: string;
  phase: Phase;
  inputs: number[];
  outputs: number[];
  attrs: OpAttrs[K];
}

export interface Graph {
  tensors: Tensor[];
  nodes: Node[];
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const bytesOf = (t: Tensor) => numel(t.shape) * 4;
