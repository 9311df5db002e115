// A network that cannot fit this GPU's buffer limits is refused at build time, naming the tensor and the limit.
import { expect, test } from 'vitest';
import { buildNetwork, createEngine, GpuCapacityError } from '../../src/index';

test('a batch too large for the adapter gets a clear error, and a later network still builds', async () => {
  const engine = await createEngine();
  const limit = engine.gpu.limits.maxStorageBufferBindingSize;
  // The stem's output (conv1 / bn1) takes batch * 16 * 32 * 32 floats; pick a batch whose activation passes
  // the binding limit (im2col columns, where the adapter's tuning uses them, are larger still).
  const batch = Math.ceil(limit / (16 * 1024 * 4)) + 1;
  const err = await buildNetwork(engine, { arch: 'residual', depth: 8 }, { batchSize: batch, seed: 0 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GpuCapacityError);
  const message = (err as GpuCapacityError).message;
  expect(message).toMatch(/maxStorageBufferBindingSize|maxBufferSize/);
  expect(message).toMatch(/conv1|images|layer1/);
  expect(message).toMatch(/smaller batch/);
  const ok = await buildNetwork(engine, { arch: 'residual', depth: 8 }, { batchSize: 2, seed: 0 });
  ok.destroy();
});
