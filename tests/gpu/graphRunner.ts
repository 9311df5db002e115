// Runs any small graph on the GPU with one buffer per persistent tensor (for op-level tests; the Network
// class does the same with arenas for real models).
import type { Gpu } from '../../src/gpu/gpu';
import { createStorage, readF32 } from '../../src/gpu/buffers';
import { compileGraph, type CompiledGraph } from '../../src/graph/executor';
import { numel, type Graph, type Phase } from '../../src/graph/ir';

export class GraphRunner {
  private readonly buffers = new Map<number, GPUBuffer>();
  compiled!: CompiledGraph;

  private constructor(
    private readonly gpu: Gpu,
    readonly graph: Graph,
  ) {}

  static async create(gpu: Gpu, graph: Graph): Promise<GraphRunner> {
    const r = new GraphRunner(gpu, graph);
    r.compiled = await compileGraph(
      gpu,
      graph,
      'test',
      (t) => {
        let b = r.buffers.get(t.id);
        if (!b) r.buffers.set(t.id, (b = createStorage(gpu, t.name, Math.max(16, numel(t.shape) * 4))));
        return { buffer: b };
      },
      new Set(graph.tensors.filter((t) => t.role === 'activation').map((t) => t.id)),
    );
    return r;
  }

  set(id: number, data: ArrayLike<number>): void {
    const t = this.graph.tensors[id];
    const arr = t.dtype === 'i32' ? Int32Array.from(data) : Float32Array.from(data);
    this.gpu.device.queue.writeBuffer(this.buffers.get(id)!, 0, arr);
  }

  async run(phases: Phase[]): Promise<void> {
    const enc = this.gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    this.compiled.record(pass, new Set(phases));
    pass.end();
    this.gpu.device.pushErrorScope('validation');
    this.gpu.device.queue.submit([enc.finish()]);
    const err = await this.gpu.device.popErrorScope();
    if (err) throw new Error(err.message);
  }

  read(id: number): Promise<Float32Array> {
    const r = this.compiled.refs.get(id);
    if (!r) throw new Error(`${this.graph.tensors[id].name} has no buffer`);
    return readF32(this.gpu, r.buffer, r.offset ?? 0, numel(this.graph.tensors[id].shape));
  }

  destroy(): void {
    this.compiled.destroy();
    this.buffers.forEach((b) => b.destroy());
  }
}
