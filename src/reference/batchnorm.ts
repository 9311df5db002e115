// Float64 reference for BatchNorm2d with PyTorch's conventions: biased batch variance to normalise,
// unbiased variance for the running estimate, momentum 0.1, eps 1e-5. x is viewed as [N, C, S].
import type { ChannelShape } from '../geometry';

type Arr = ArrayLike<number>;

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Per-channel mean and biased variance over N and S. */
export function bnStats(sh: ChannelShape, x: Arr): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(sh.c);
  const variance = new Float64Array(sh.c);
  const m = sh.n * sh.s;
  for (let c = 0; c < sh.c; c++) {
    let s = 0;
    for (let n = 0; n < sh.n; n++) for (let i = 0; i < sh.s; i++) s += x[(n * sh.c + c) * sh.s + i];
    const mu = s / m;
    let v = 0;
    for (let n = 0; n < sh.n; n++) for (let i = 0; i < sh.s; i++) v += (x[(n * sh.c + c) * sh.s + i] - mu) ** 2;
    mean[c] = mu;
    variance[c] = v / m;
  }
  return { mean, variance };
}

/** y = gamma * (x - mean) / sqrt(var + eps) + beta, with the given statistics (batch or running). */
export function bnApply(sh: ChannelShape, x: Arr, mean: Arr, variance: Arr, gamma: Arr, beta: Arr, eps = BN_EPS): Float64Array {
  const y = new Float64Array(sh.n * sh.c * sh.s);
  for (let n = 0; n < sh.n; n++)
    for (let c = 0; c < sh.c; c++) {
      const inv = 1 / Math.sqrt(variance[c] + eps);
      for (let i = 0; i < sh.s; i++) {
        const k = (n * sh.c + c) * sh.s + i;
        y[k] = gamma[c] * (x[k] - mean[c]) * inv + beta[c];
      }
    }
  return y;
}

/** Train mode: normalise with batch statistics. Returns them too (backward and the running update need them). */
export function bnForwardTrain(sh: ChannelShape, x: Arr, gamma: Arr, beta: Arr) {
  const { mean, variance } = bnStats(sh, x);
  return { y: bnApply(sh, x, mean, variance, gamma, beta), mean, variance };
}

/** Eval-mode BN's input gradient: dx = dy * gamma / sqrt(runVar + eps). */
export function bnEvalGradInput(sh: ChannelShape, dy: Arr, gamma: Arr, runVar: Arr): Float64Array {
  const out = new Float64Array(dy.length);
  for (let i = 0; i < dy.length; i++) {
    const c = Math.floor(i / sh.s) % sh.c;
    out[i] = (dy[i] * gamma[c]) / Math.sqrt(runVar[c] + BN_EPS);
  }
  return out;
}

/** running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance. */
export function bnUpdateRunning(sh: ChannelShape, runMean: Arr, runVar: Arr, mean: Arr, variance: Arr, momentum = BN_MOMENTUM) {
  const m = sh.n * sh.s;
  const rm = Float64Array.from(runMean, (r, c) => (1 - momentum) * r + momentum * mean[c]);
  const rv = Float64Array.from(runVar, (r, c) => (1 - momentum) * r + momentum * variance[c] * (m / Math.max(m - 1, 1)));
  return { runMean: rm, runVar: rv };
}

/** Backward of train-mode BN (batch statistics depend on x). */
export function bnBackward(sh: ChannelShape, dy: Arr, x: Arr, mean: Arr, variance: Arr, gamma: Arr, eps = BN_EPS) {
  const m = sh.n * sh.s;
  const dgamma = new Float64Array(sh.c);
  const dbeta = new Float64Array(sh.c);
  const dx = new Float64Array(sh.n * sh.c * sh.s);
  for (let c = 0; c < sh.c; c++) {
    const inv = 1 / Math.sqrt(variance[c] + eps);
    let sdy = 0;
    let sdyx = 0;
    for (let n = 0; n < sh.n; n++)
      for (let i = 0; i < sh.s; i++) {
        const k = (n * sh.c + c) * sh.s + i;
        sdy += dy[k];
        sdyx += dy[k] * (x[k] - mean[c]) * inv;
      }
    dgamma[c] = sdyx;
    dbeta[c] = sdy;
    for (let n = 0; n < sh.n; n++)
      for (let i = 0; i < sh.s; i++) {
        const k = (n * sh.c + c) * sh.s + i;
        const xhat = (x[k] - mean[c]) * inv;
        dx[k] = ((gamma[c] * inv) / m) * (m * dy[k] - sdy - xhat * sdyx);
      }
  }
  return { dx, dgamma, dbeta };
}

/** Backward of eval-mode BN (fixed statistics): a per-channel affine map. */
export function bnBackwardEval(sh: ChannelShape, dy: Arr, x: Arr, mean: Arr, variance: Arr, gamma: Arr, eps = BN_EPS) {
  const dgamma = new Float64Array(sh.c);
  const dbeta = new Float64Array(sh.c);
  const dx = new Float64Array(sh.n * sh.c * sh.s);
  for (let n = 0; n < sh.n; n++)
    for (let c = 0; c < sh.c; c++) {
      const inv = 1 / Math.sqrt(variance[c] + eps);
      for (let i = 0; i < sh.s; i++) {
        const k = (n * sh.c + c) * sh.s + i;
        dgamma[c] += dy[k] * (x[k] - mean[c]) * inv;
        dbeta[c] += dy[k];
        dx[k] = dy[k] * gamma[c] * inv;
      }
    }
  return { dx, dgamma, dbeta };
}
