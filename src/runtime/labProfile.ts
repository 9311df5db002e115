// The lab's kernel profile: one forward + backward pass of a training target with a timestamped compute pass per
// graph node (src/gpu/profiler.ts). The SGD update and the BN running-statistics update are left out, so profiling
// a live run changes neither its weights nor its statistics (the gradients it writes are overwritten by the next
// step). Undefined when the adapter has no timestamp queries.
import type { Gpu } from '../gpu/gpu';
import { Profiler, type KernelTime } from '../gpu/profiler';
import type { Phase } from '../graph/ir';
import type { StepTarget } from './targets';

const PHASES: ReadonlySet<Phase> = new Set(['forward', 'backward']);

export async function profileGradientStep(gpu: Gpu, target: StepTarget): Promise<KernelTime[] | undefined> {
  if (!gpu.hasTimestamps) return undefined;
  if (target.mode !== 'train') throw new Error('a profiled step needs a train-mode target');
  const profiler = new Profiler(gpu, target.compiled.graph.nodes.length);
  try {
    const enc = gpu.device.createCommandEncoder({ label: 'lab.profile' });
    target.compiled.recordProfiled(enc, PHASES, profiler);
    profiler.resolve(enc);
    gpu.device.queue.submit([enc.finish()]);
    return await profiler.read();
  } finally {
    profiler.destroy();
  }
}
