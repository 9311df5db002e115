// How fast this device trains, measured in a few seconds before any run (issue 22: durations are said before a run
// starts). The probe is the Learn tour's twin net (ResNet-20 at width 8, batch 32) on random images: one step to
// compile and upload, then rounds of 1, 2, 4, ... steps submitted back to back (as a run submits them) until the
// rounds have taken PROBE_BUDGET_MS or the next would pass PROBE_MAX_STEPS; the last round's rate is the answer (the
// longest, so the least of it is submit latency). On SwiftShader that is one round of one step (about a second);
// on a real GPU, rounds up to 32 steps in a fraction of a second.
import { countFlops } from '../model/counts';
import type { ModelConfig } from '../model/config';
import { Network } from '../runtime/network';
import type { Gpu } from '../gpu/gpu';
import { Rng } from '../util/rng';
import type { SpeedProbe } from './protocol';

export const PROBE_MODEL: ModelConfig = { arch: 'residual', depth: 20, width: 8 };
export const PROBE_BATCH = 32;
const PROBE_BUDGET_MS = 1000;
const PROBE_MAX_STEPS = 64;

export async function probeSpeed(gpu: Gpu, model: ModelConfig = PROBE_MODEL, batch = PROBE_BATCH): Promise<SpeedProbe> {
  const net = await Network.create(gpu, model, { batchSize: batch, seed: 0 });
  try {
    const rng = new Rng(3);
    const images = new Float32Array(batch * 3 * 32 * 32).map(() => rng.normal());
    const labels = Int32Array.from({ length: batch }, () => rng.int(10));
    // A tiny learning rate: the probe's weights are thrown away, but a diverging loss would time NaN arithmetic.
    const hyper = { lr: 1e-4, momentum: 0.9, weightDecay: 0 };
    await net.trainStep(images, labels, hyper); // compiles the pipelines, uploads the batch
    const target = await net.target('train', batch);
    let round = { steps: 0, ms: 0 };
    let total = 0;
    let elapsed = 0;
    for (let k = 1; ; k *= 2) {
      const t0 = performance.now();
      for (let i = 0; i < k; i++) {
        const enc = gpu.device.createCommandEncoder({ label: 'speedProbe' });
        net.encodeStep(enc, target, 'train', hyper);
        gpu.device.queue.submit([enc.finish()]);
      }
      await gpu.device.queue.onSubmittedWorkDone();
      round = { steps: k, ms: performance.now() - t0 };
      total += k;
      elapsed += round.ms;
      if (elapsed >= PROBE_BUDGET_MS || total + 2 * k > PROBE_MAX_STEPS) break;
    }
    return {
      model: `ResNet-${model.depth}, width ${model.width ?? 16}`,
      batch,
      steps: round.steps,
      ms: round.ms,
      imagesPerSec: (round.steps * batch) / (round.ms / 1000),
      trainMacsPerImage: 3 * countFlops(model),
    };
  } finally {
    net.destroy();
  }
}
