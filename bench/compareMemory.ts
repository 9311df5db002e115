// Peak GPU memory of one training step, from the memory planner alone (no GPU): the activation slots the
// executor would allocate (liveness plan over the training graph, with im2col scratch as the explicit
// convolution path needs it, and without it as the implicit path runs) plus the persistent
// buffers Network allocates (parameters, gradients, momentum, BN statistics, images, labels, metrics),
// against a naive allocation of one buffer per tensor.
import { buildNetGraph } from '../src/model/resnet';
import { resolveConfig, type ModelConfig } from '../src/model/config';
import { appendBackward } from '../src/graph/autodiff';
import { assignSlots, graphLifetimes } from '../src/graph/planner';
import { scratchBytes } from '../src/graph/ops';
import { numel } from '../src/graph/ir';

export interface MemoryReport {
  /** Activations planned with im2col column buffers as scratch (the explicit convolution path). */
  plannedActivationBytes: number;
  /** The same plan without column buffers (implicit convolutions). */
  plannedActivationBytesImplicit: number;
  naiveActivationBytes: number;
  slots: number;
  persistentBytes: number;
  peakGpuBytes: number;
  naiveGpuBytes: number;
  ratio: number;
}

const ALIGN = 64; // floats: Network's arenas put every tensor at a 256-byte offset

export function plannedMemory(config: ModelConfig, batch: number): MemoryReport {
  const net = buildNetGraph(resolveConfig(config), batch, 'train');
  appendBackward(net.b);
  const g = net.b.graph;
  const keep = new Set([net.logits]);
  const plan = assignSlots(graphLifetimes(g, g.nodes, (n) => scratchBytes(g, n), keep));
  const implicit = assignSlots(graphLifetimes(g, g.nodes, () => [], keep));
  const arena = (ids: number[]) => ids.reduce((a, id) => a + Math.ceil(numel(g.tensors[id].shape) / ALIGN) * ALIGN, 0) * 4;
  const params = arena(net.params.map((p) => p.id));
  const states = arena(net.states.map((s) => s.id));
  const io = batch * 3 * 32 * 32 * 4 + batch * 4 + 16;
  const persistentBytes = 3 * params + states + io; // params, grads, momentum; statistics; images, labels, metrics
  const peakGpuBytes = plan.peakBytes + persistentBytes;
  const naiveGpuBytes = plan.naiveBytes + persistentBytes;
  return {
    plannedActivationBytes: plan.peakBytes,
    plannedActivationBytesImplicit: implicit.peakBytes,
    naiveActivationBytes: plan.naiveBytes,
    slots: plan.slotBytes.length,
    persistentBytes,
    peakGpuBytes,
    naiveGpuBytes,
    ratio: naiveGpuBytes / peakGpuBytes,
  };
}
