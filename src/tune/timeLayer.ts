// Times one layer (a graph node) under a candidate tuning, on its own: the node is lowered through the op table
// exactly as the executor lowers it, onto buffers of its own tensor shapes (zero-filled: the kernels' work does
// not depend on the values), and its dispatches are replayed. GPU time comes from timestamp queries where the
// adapter has them (one pass around all repetitions), else from the wall time until onSubmittedWorkDone.
import { createStorage } from '../gpu/buffers';
import type { Gpu } from '../gpu/gpu';
import { Profiler } from '../gpu/profiler';
import type { Graph, Node } from '../graph/ir';
import { nodeShapes, opOf } from '../graph/ops';
import { record, type Dispatch } from '../kernels/kernel';
import type { Tuning } from '../gpu/tuning';

export type TimingMethod = 'timestamps' | 'wall';

/** What one candidate measured: the fastest round's ms per run. */
export interface LayerTime {
  ms: number;
  /** Its first (untimed) run took so long that no repetitions were spent on it: ms is that first run. */
  pruned?: boolean;
}

export class LayerTimer {
  private readonly buffers = new Map<number, GPUBuffer>();
  private readonly profiler: Profiler | undefined;

  constructor(
    private readonly gpu: Gpu,
    private readonly graph: Graph,
    private readonly node: Node,
  ) {
    for (const id of [...node.inputs, ...node.outputs]) {
      if (this.buffers.has(id)) continue;
      const t = graph.tensors[id];
      this.buffers.set(id, createStorage(gpu, `tune.${t.name}`, 4 * t.shape.reduce((a, b) => a * b, 1)));
    }
    this.profiler = gpu.hasTimestamps ? new Profiler(gpu, 1) : undefined;
  }

  get method(): TimingMethod {
    return this.profiler ? 'timestamps' : 'wall';
  }

  /**
   * Lowers the node under `tuning` and times it: one untimed run (pipelines compiled, caches warm), then `rounds`
   * rounds of `reps` runs each; the fastest round per run (noise on a shared machine only ever adds time: on
   * SwiftShader single runs of one kernel vary by 20%, the minimum of three by a few percent). A first run over
   * `pruneMs` is reported as it is, pruned.
   */
  async time(tuning: Tuning, o: { reps: number; rounds: number; pruneMs?: number }): Promise<LayerTime> {
    const scratch: GPUBuffer[] = [];
    let dispatches: Dispatch[] = [];
    const gpu: Gpu = { ...this.gpu, tuning, layers: undefined };
    try {
      const sizes = opOf(this.node).scratch?.(nodeShapes(this.graph, this.node), tuning) ?? [];
      const scratchRefs = sizes.map((b, i) => {
        if (b <= 0) return undefined;
        const s = createStorage(gpu, `tune.${this.node.name}.scratch${i}`, b);
        scratch.push(s);
        return { buffer: s };
      });
      dispatches = await opOf(this.node).lower({
        ...nodeShapes(this.graph, this.node),
        gpu,
        input: (i) => ({ buffer: this.buffers.get(this.node.inputs[i])! }),
        output: (i) => ({ buffer: this.buffers.get(this.node.outputs[i])! }),
        scratch: (i) => scratchRefs[i],
      });
      const t0 = performance.now();
      await this.run(dispatches, 1);
      const first = performance.now() - t0;
      if (o.pruneMs !== undefined && first > o.pruneMs) return { ms: first, pruned: true };
      let best = Infinity;
      for (let r = 0; r < o.rounds; r++) best = Math.min(best, (await this.run(dispatches, o.reps)) / o.reps);
      return { ms: best };
    } finally {
      for (const d of dispatches) d.uniforms?.destroy();
      scratch.forEach((b) => b.destroy());
    }
  }

  /** Runs the dispatches `reps` times in one pass; the ms it took (GPU time with timestamps, else wall time). */
  private async run(dispatches: readonly Dispatch[], reps: number): Promise<number> {
    const { device } = this.gpu;
    const enc = device.createCommandEncoder({ label: `tune ${this.node.name}` });
    this.profiler?.reset();
    const pass = this.profiler ? this.profiler.pass(enc, this.node.name) : enc.beginComputePass({ label: `tune ${this.node.name}` });
    for (let i = 0; i < reps; i++) record(pass, dispatches);
    pass.end();
    this.profiler?.resolve(enc);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    if (this.profiler) return (await this.profiler.read())[0].ms;
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  }

  destroy(): void {
    this.buffers.forEach((b) => b.destroy());
    this.profiler?.destroy();
  }
}
