import { describe, test } from 'vitest';
import * as ref from '../../src/reference/sgd';
import { setSgdHyper, sgd } from '../../src/kernels/sgd';
import { readF32 } from '../../src/gpu/buffers';
import { run } from '../../src/kernels/kernel';
import { buf, expectClose, getGpu, rand } from './harness';

describe('sgd', () => {
  // Five steps with fresh gradients, weight decay and momentum, and an lr change (the schedule's
  // divide-by-10) between steps 3 and 4. The GPU state is compared with the float64 trajectory after
  // every step; each step costs a few f32 roundings of values near 1, so 2e-6 absolute covers five steps.
  test.each([1, 7, 4099])('%i parameters, 5 steps against the reference', async (count) => {
    const gpu = await getGpu();
    let p = rand(count, 31);
    let m = new Float64Array(count);
    const pb = buf(gpu, p, 'test.param');
    const gb = buf(gpu, new Float64Array(count), 'test.grad');
    const mb = buf(gpu, m, 'test.momentum');
    const d = await sgd(gpu, 'sgd', count, { buffer: pb }, { buffer: gb }, { buffer: mb });
    for (let step = 0; step < 5; step++) {
      const h = { lr: step < 3 ? 0.1 : 0.01, momentum: 0.9, weightDecay: 0.05 };
      const g = rand(count, 100 + step);
      gpu.device.queue.writeBuffer(gb, 0, Float32Array.from(g));
      setSgdHyper(gpu, d, h);
      gpu.device.pushErrorScope('validation');
      run(gpu, [d]);
      const err = await gpu.device.popErrorScope();
      if (err) throw new Error(`validation error: ${err.message}`);
      ({ param: p, momentum: m } = ref.sgdStep(h, p, g, m));
      expectClose(await readF32(gpu, mb, 0, count), m, { atol: 2e-6, rtol: 0 });
      expectClose(await readF32(gpu, pb, 0, count), p, { atol: 2e-6, rtol: 0 });
    }
  });
});
