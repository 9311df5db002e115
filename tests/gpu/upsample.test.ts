// The bilinear enlargement kernel against its float64 reference (tests/unit/upsampleTorch.test.ts holds the
// reference to PyTorch's F.interpolate): every input size a run uses, several planes in one dispatch.
import { expect, test } from 'vitest';
import { createStorage, readF32, uploadNew } from '../../src/gpu/buffers';
import { run } from '../../src/kernels/kernel';
import { upsample } from '../../src/kernels/upsample';
import { upsample as reference } from '../../src/reference/upsample';
import { Rng } from '../../src/util/rng';
import { getGpu } from './harness';

test.each([
  [32, 64],
  [32, 96],
  [32, 128],
  [32, 224],
  [32, 32], // identity
  [5, 13], // odd sizes, a scale that is not a whole number
  [1, 4], // one pixel everywhere
])('%i -> %i: the reference, to float32 rounding', async (sizeIn, sizeOut) => {
  const gpu = await getGpu();
  const planes = 6; // two RGB images
  const rng = new Rng(sizeIn * 1000 + sizeOut);
  const src = Float32Array.from({ length: planes * sizeIn * sizeIn }, () => rng.next() * 4 - 2);
  const a = uploadNew(gpu, 'test.src', src);
  const b = createStorage(gpu, 'test.dst', planes * sizeOut * sizeOut * 4);
  try {
    gpu.device.pushErrorScope('validation');
    run(gpu, [await upsample(gpu, 'test.upsample', planes, sizeIn, sizeOut, { buffer: a }, { buffer: b })]);
    const err = await gpu.device.popErrorScope();
    if (err) throw new Error(err.message);
    const got = await readF32(gpu, b, 0, planes * sizeOut * sizeOut);
    const want = reference(src, planes, sizeIn, sizeOut);
    const worst = want.reduce((m, w, i) => Math.max(m, Math.abs(got[i] - w)), 0);
    expect(worst).toBeLessThan(1e-6);
    if (sizeIn === sizeOut) expect(got).toEqual(src);
  } finally {
    a.destroy();
    b.destroy();
  }
});
