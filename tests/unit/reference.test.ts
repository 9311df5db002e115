// The float64 reference ops against values worked out by hand.
import { describe, expect, test } from 'vitest';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../../src/reference/conv';
import { col2im, im2col } from '../../src/reference/im2col';
import { bnBackward, bnForwardTrain, bnUpdateRunning } from '../../src/reference/batchnorm';
import { shortcutA, shortcutABackward } from '../../src/reference/shortcut';
import { avgPool } from '../../src/reference/pool';
import { softmaxXent } from '../../src/reference/softmaxXent';
import { sgdStep } from '../../src/reference/sgd';
import { sumSquares } from '../../src/reference/sumsq';
import { gemm, gemmShape, linear } from '../../src/reference/gemm';

const near = (a: ArrayLike<number>, b: number[], eps = 1e-12) => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(Math.abs(a[i] - v)).toBeLessThanOrEqual(eps));
};

describe('reference ops, by hand', () => {
  test('conv2d 3x3 pad 1 on a 2x2 image', () => {
    // x = [[1,2],[3,4]], all-ones kernel: each output is the sum of its (zero-padded) 3x3 neighbourhood = 10.
    const g = { n: 1, c: 1, h: 2, w: 2, o: 1, kh: 3, kw: 3, stride: 1, pad: 1 };
    near(conv2d(g, [1, 2, 3, 4], new Array(9).fill(1), [0.5]), [10.5, 10.5, 10.5, 10.5]);
    // Kernel with a single 1 at the top-left tap: y[i,j] = x[i-1,j-1].
    const w = [1, 0, 0, 0, 0, 0, 0, 0, 0];
    near(conv2d(g, [1, 2, 3, 4], w), [0, 0, 0, 1]);
    near(conv2dBackwardInput(g, [1, 1, 1, 1], w), [1, 0, 0, 0]);
    near(conv2dBackwardWeight(g, [0, 0, 0, 1], [1, 2, 3, 4]), [1, 2, 0, 3, 4, 0, 0, 0, 0]);
  });

  test('im2col / col2im of a 2x2 image, 2x2 kernel, stride 1, no pad', () => {
    const g = { n: 1, c: 1, h: 2, w: 2, o: 1, kh: 2, kw: 2, stride: 1, pad: 0 };
    near(im2col(g, [1, 2, 3, 4]), [1, 2, 3, 4]);
    near(col2im(g, [1, 1, 1, 1]), [1, 1, 1, 1]);
    const g2 = { ...g, kh: 1, kw: 1, stride: 2 };
    near(im2col(g2, [1, 2, 3, 4]), [1]);
  });

  test('gemm with transposes and bias', () => {
    // A = [[1,2],[3,4]], B = [[5,6],[7,8]]: AB = [[19,22],[43,50]]; A^T B = [[26,30],[38,44]].
    near(gemm(gemmShape(2, 2, 2), [1, 2, 3, 4], [5, 6, 7, 8]), [19, 22, 43, 50]);
    near(gemm(gemmShape(2, 2, 2, { transA: true }), [1, 2, 3, 4], [5, 6, 7, 8]), [26, 30, 38, 44]);
    near(gemm({ ...gemmShape(2, 2, 2), bias: 'row' }, [1, 2, 3, 4], [5, 6, 7, 8], [1, 2]), [20, 23, 45, 52]);
  });

  test('batch norm: x = [1, 3] in one channel', () => {
    // mean 2, biased var 1: xhat = [-1, 1]; y = 2*xhat + 1.
    const sh = { n: 2, c: 1, s: 1 };
    const r = bnForwardTrain(sh, [1, 3], [2], [1]);
    near(r.mean, [2]);
    near(r.variance, [1]);
    const s = 1 / Math.sqrt(1 + 1e-5);
    near(r.y, [1 - 2 * s, 1 + 2 * s]);
    // Running update: 0.9*0 + 0.1*2 = 0.2; 0.9*1 + 0.1*(1 * 2/1) = 1.1 (unbiased variance 2).
    const u = bnUpdateRunning(sh, [0], [1], r.mean, r.variance);
    near(u.runMean, [0.2]);
    near(u.runVar, [1.1]);
    // dy = [1, 1]: dbeta 2, dgamma = sum(dy*xhat) = 0, dx = 0 (a constant shift is normalised away).
    const b = bnBackward(sh, [1, 1], [1, 3], r.mean, r.variance, [2]);
    near(b.dbeta, [2]);
    near(b.dgamma, [0], 1e-9);
    near(b.dx, [0, 0], 1e-9);
  });

  test('option-A shortcut: stride 2, 1 -> 3 channels is invalid-free: 2 -> 4 pads one channel each side', () => {
    const s = { n: 1, cin: 2, h: 2, w: 2, cout: 4, stride: 2 };
    near(shortcutA(s, [1, 2, 3, 4, 5, 6, 7, 8]), [0, 1, 5, 0]);
    near(shortcutABackward(s, [9, 1, 2, 9]), [1, 0, 0, 0, 2, 0, 0, 0]);
  });

  test('head: average pool, linear, softmax cross-entropy', () => {
    near(avgPool(1, 2, 2, [1, 3, 5, 7]), [2, 6]);
    near(linear(1, 2, 1, [1, 2], [3, 4], [5]), [16]);
    // Two equal logits: p = 1/2 each, loss ln 2; argmax tie goes to class 0.
    const r = softmaxXent(1, 2, [0, 0], [1]);
    expect(r.loss).toBeCloseTo(Math.LN2, 12);
    expect(r.correct).toBe(0);
    near(r.dlogits, [0.5, -0.5]);
  });

  test('SGD with momentum and weight decay, as torch.optim.SGD', () => {
    // p=1, g=0.5, wd=0.1: d = 0.6; buf = 0.9*0 + 0.6 = 0.6; p = 1 - 0.1*0.6 = 0.94.
    const r = sgdStep({ lr: 0.1, momentum: 0.9, weightDecay: 0.1 }, [1], [0.5], [0]);
    near(r.momentum, [0.6]);
    near(r.param, [0.94]);
    expect(sumSquares([3, 4])).toBe(25);
  });
});
