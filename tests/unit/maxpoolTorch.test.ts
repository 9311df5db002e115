// The max-pooling reference against PyTorch's own max_pool2d (CPU, float64): values, and where the gradient of a
// tie goes. The GPU kernel is held to this reference by tests/gpu/maxpool.test.ts.
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as ref from '../../src/reference/maxpool';
import { maxPoolOut, type MaxPoolShape } from '../../src/geometry';
import { Rng } from '../../src/util/rng';
import { findTorchPython, NO_TORCH } from '../support/torchPython';
import { CI } from '../support/ci';

const python = findTorchPython();
if (!python && CI) throw new Error(`CI run: ${NO_TORCH}. Under CI this is a failure, not a skip.`);
if (!python) console.warn(`SKIP maxpoolTorch: ${NO_TORCH}`);

const TORCH = String.raw`
import json, sys, torch
import torch.nn.functional as F
out = []
for c in json.load(sys.stdin):
    s = c['shape']
    x = torch.tensor(c['x'], dtype=torch.float64).reshape(s['n'], s['c'], s['h'], s['w']).requires_grad_()
    y = F.max_pool2d(x, s['k'], s['stride'], s['pad'])
    (y * torch.tensor(c['dy'], dtype=torch.float64).reshape(y.shape)).sum().backward()
    out.append({'y': y.detach().flatten().tolist(), 'dx': x.grad.flatten().tolist()})
print(json.dumps(out))`;

describe.skipIf(!python)('max pooling reference vs PyTorch', () => {
  test('values and gradients, with and without ties, for the stem pool and others', () => {
    const shapes: MaxPoolShape[] = [
      { n: 2, c: 2, h: 9, w: 7, k: 3, stride: 2, pad: 1 },
      { n: 1, c: 3, h: 8, w: 8, k: 3, stride: 2, pad: 1 },
      { n: 1, c: 2, h: 6, w: 5, k: 2, stride: 2, pad: 0 },
      { n: 1, c: 2, h: 5, w: 5, k: 3, stride: 1, pad: 1 },
    ];
    const rng = new Rng(9);
    // Levels -1, 0, 1: nearly every window holds a tie (all-equal windows included).
    const cases = shapes.flatMap((shape) =>
      [false, true].map((ties) => {
        const { oh, ow } = maxPoolOut(shape);
        const x = Array.from({ length: shape.n * shape.c * shape.h * shape.w }, () => (ties ? rng.int(3) - 1 : rng.normal()));
        return { shape, x, dy: Array.from({ length: shape.n * shape.c * oh * ow }, () => rng.normal()) };
      }),
    );
    const r = spawnSync(python!, ['-c', TORCH], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const torch = JSON.parse(r.stdout) as { y: number[]; dx: number[] }[];
    cases.forEach((c, i) => {
      expect(Array.from(ref.maxPool(c.shape, c.x)), `case ${i} values`).toEqual(torch[i].y);
      const dx = ref.maxPoolBackward(c.shape, c.dy, c.x);
      // Where windows overlap both add the same dy values, perhaps in another order: equal to float64 rounding.
      torch[i].dx.forEach((v, j) => expect(Math.abs(dx[j] - v), `case ${i} dx[${j}]`).toBeLessThan(1e-12));
    });
  }, 120_000);
});
