// A probe for benchmarks: one training step with a timestamped compute pass per graph node (and one for the SGD
// update), so each kernel's GPU time can be read. Only on adapters with timestamp queries.
import type { Gpu } from '../gpu/gpu';
import { Profiler, type KernelTime } from '../gpu/profiler';
import type { Sgd, SgdOptions } from './optimiser';
import { TRAIN_PHASES } from './step';
import type { StepTarget } from './targets';

/** Submits one profiled training step on `target` (its inputs already uploaded) and reads the times back. */
export async function profileTrainStep(gpu: Gpu, target: StepTarget, sgd: Sgd, hyper: SgdOptions): Promise<KernelTime[]> {
  sgd.setHyper(hyper);
  const profiler = new Profiler(gpu, target.compiled.graph.nodes.length + 1);
  try {
    const enc = gpu.device.createCommandEncoder({ label: 'profiled step' });
    target.compiled.recordProfiled(enc, TRAIN_PHASES, profiler);
    const pass = profiler.pass(enc, 'sgd update');
    sgd.record(pass);
    pass.end();
    profiler.resolve(enc);
    gpu.device.queue.submit([enc.finish()]);
    return await profiler.read();
  } finally {
    profiler.destroy();
  }
}
