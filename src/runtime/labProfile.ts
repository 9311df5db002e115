// The lab's kernel profile: one forward + backward pass of a training target with a timestamped compute pass per
// graph node (src/gpu/profiler.ts), each with the FLOPs and bytes its dispatches declared (the static cost model,
// src/kernels/cost.ts). The SGD update and the BN running-statistics update are left out, so profiling a live run
// changes neither its weights nor its statistics (the gradients it writes are overwritten by the next step).
// Without timestamp queries the costs still come back (they need no GPU work), with no times.
import type { Gpu } from '../gpu/gpu';
import { Profiler } from '../gpu/profiler';
import type { Phase } from '../graph/ir';
import { addCosts, type Cost } from '../kernels/cost';
import type { StepTarget } from './targets';

const PHASES: ReadonlySet<Phase> = new Set(['forward', 'backward']);

/** One profiled node: `${opKind} ${nodeName}`, its GPU time (0 without timestamps) and modelled cost. */
export interface ProfiledKernel extends Cost {
  label: string;
  ms: number;
}

export interface GradientStepProfile {
  timestamps: boolean;
  kernels: ProfiledKernel[];
}

export async function profileGradientStep(gpu: Gpu, target: StepTarget): Promise<GradientStepProfile> {
  if (target.mode !== 'train') throw new Error('a profiled step needs a train-mode target');
  // The nodes recordProfiled times, in its order (it skips nodes with no dispatches), with their costs.
  const kernels: ProfiledKernel[] = target.compiled.lowered
    .filter((l) => PHASES.has(l.node.phase) && l.dispatches.length > 0)
    .map((l) => ({ label: `${l.node.kind} ${l.node.name}`, ms: 0, ...addCosts(l.dispatches.map((d) => d.cost)) }));
  if (!gpu.hasTimestamps) return { timestamps: false, kernels };
  const profiler = new Profiler(gpu, target.compiled.graph.nodes.length);
  try {
    const enc = gpu.device.createCommandEncoder({ label: 'lab.profile' });
    target.compiled.recordProfiled(enc, PHASES, profiler);
    profiler.resolve(enc);
    gpu.device.queue.submit([enc.finish()]);
    const times = await profiler.read();
    if (times.length !== kernels.length) throw new Error(`profiled ${times.length} passes for ${kernels.length} nodes`);
    times.forEach((t, i) => {
      if (t.label !== kernels[i].label) throw new Error(`pass ${i} is ${t.label}, not ${kernels[i].label}`);
      kernels[i].ms = t.ms;
    });
    return { timestamps: true, kernels };
  } finally {
    profiler.destroy();
  }
}
