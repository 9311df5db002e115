// The speed probe the page runs when it opens (src/train/speedProbe.ts): a rate from real training steps of the
// Learn twins' net, in the units the UI's estimates use, and nothing left allocated on the device.
import { expect, test } from 'vitest';
import { createEngine } from '../../src/index';
import { countFlops } from '../../src/model/counts';
import { PROBE_BATCH, PROBE_MODEL, probeSpeed } from '../../src/train/speedProbe';

test('the probe times whole rounds of training steps and frees every buffer it made', async () => {
  const engine = await createEngine();
  const device = engine.gpu.device;
  const live = new Set<GPUBuffer>();
  const create = device.createBuffer.bind(device);
  device.createBuffer = (d: GPUBufferDescriptor) => {
    const b = create(d);
    live.add(b);
    const destroy = b.destroy.bind(b);
    b.destroy = () => {
      live.delete(b);
      destroy();
    };
    return b;
  };
  try {
    const p = await probeSpeed(engine.gpu);
    expect(p.model).toBe('ResNet-20, width 8');
    expect(p.batch).toBe(PROBE_BATCH);
    expect([1, 2, 4, 8, 16, 32]).toContain(p.steps); // one round of 2^k steps
    expect(p.ms).toBeGreaterThan(0);
    expect(p.imagesPerSec).toBeCloseTo((p.steps * PROBE_BATCH) / (p.ms / 1000), 9);
    expect(p.trainMacsPerImage).toBe(3 * countFlops(PROBE_MODEL));
    console.log(`speed probe: ${p.steps} steps in ${p.ms.toFixed(0)} ms, ${p.imagesPerSec.toFixed(1)} images/s on ${engine.adapterName}`);
    expect([...live].map((b) => b.label)).toEqual([]);
  } finally {
    device.createBuffer = create;
  }
});
