// The bilinear reference against PyTorch's own F.interpolate(mode='bilinear', align_corners=False) in float64: the
// enlargement a run's 32x32 batch gets to reach its input size (tests/gpu/upsample.test.ts holds the kernel to it).
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { upsample } from '../../src/reference/upsample';
import { Rng } from '../../src/util/rng';
import { findTorchPython, NO_TORCH } from '../support/torchPython';
import { CI } from '../support/ci';

const python = findTorchPython();
if (!python && CI) throw new Error(`CI run: ${NO_TORCH}. Under CI this is a failure, not a skip.`);
if (!python) console.warn(`SKIP upsampleTorch: ${NO_TORCH}`);

const TORCH = String.raw`
import json, sys, torch
import torch.nn.functional as F
out = []
for c in json.load(sys.stdin):
    x = torch.tensor(c['x'], dtype=torch.float64).reshape(1, c['planes'], c['n'], c['n'])
    out.append(F.interpolate(x, size=(c['m'], c['m']), mode='bilinear', align_corners=False).flatten().tolist())
print(json.dumps(out))`;

describe.skipIf(!python)('bilinear enlargement vs PyTorch', () => {
  test('32 -> 64, 96, 224 and odd sizes', () => {
    const rng = new Rng(5);
    const cases = [
      [32, 64],
      [32, 96],
      [32, 224],
      [5, 13],
      [1, 3],
      [7, 7],
    ].map(([n, m]) => ({ planes: 2, n, m, x: Array.from({ length: 2 * n * n }, () => rng.next() * 2 - 1) }));
    const r = spawnSync(python!, ['-c', TORCH], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout) as number[][];
    cases.forEach((c, i) => {
      const got = upsample(c.x, c.planes, c.n, c.m);
      const worst = want[i].reduce((m, w, j) => Math.max(m, Math.abs(got[j] - w)), 0);
      expect(worst, `${c.n} -> ${c.m}`).toBeLessThan(1e-12);
    });
  });
});
