// A network's persistent tensors on the GPU (llm.c style): one buffer each for parameters, gradients and SGD
// momentum, every tensor at a 256-byte aligned offset, so a tensor is a (buffer, offset) binding and one SGD
// dispatch updates every parameter. BN statistics get their own arena so SGD, which runs over the whole
// parameter arena, never touches them.
import type { Gpu } from '../gpu/gpu';
import { createStorage, readBuffer } from '../gpu/buffers';
import type { BufferRef } from '../kernels/kernel';
import { numel } from '../graph/ir';
import type { NetGraph } from '../model/resnet';

/** 256 bytes: minStorageBufferOffsetAlignment. */
export const ALIGN_FLOATS = 64;

export interface Arena {
  buffer: GPUBuffer;
  offsets: Map<string, { offset: number; count: number }>;
  floats: number;
}

/** One state tensor: a parameter (trained) or a BN running statistic ('state'). */
export interface StateTensor {
  name: string;
  shape: number[];
  kind: 'param' | 'state';
}

function makeArena(gpu: Gpu, label: string, entries: { name: string; count: number }[]): Arena {
  const offsets = new Map<string, { offset: number; count: number }>();
  let at = 0;
  for (const e of entries) {
    offsets.set(e.name, { offset: at, count: e.count });
    at += Math.ceil(e.count / ALIGN_FLOATS) * ALIGN_FLOATS;
  }
  const floats = Math.max(at, ALIGN_FLOATS);
  return { buffer: createStorage(gpu, label, floats * 4), offsets, floats };
}

/** The binding of tensor `name` in arena `a`. */
export function arenaRef(a: Arena, name: string): BufferRef {
  const at = a.offsets.get(name);
  if (!at) throw new Error(`no arena slot for ${name}`);
  return { buffer: a.buffer, offset: at.offset * 4, size: Math.max(at.count * 4, 16) };
}

/** Every tensor of arena `a`, cut out of a read-back copy of its whole buffer. */
function slices(a: Arena, data: Float32Array): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, at] of a.offsets) out[name] = data.slice(at.offset, at.offset + at.count);
  return out;
}

export class NetworkArenas {
  readonly params: Arena;
  readonly grads: Arena;
  readonly momentum: Arena;
  readonly states: Arena;
  /** Every state tensor in state-dict order. */
  readonly order: readonly StateTensor[];

  constructor(
    private readonly gpu: Gpu,
    template: NetGraph,
  ) {
    const t = template.b.graph.tensors;
    this.order = template.stateOrder.map((p) => ({
      name: p.name,
      shape: t[p.id].shape,
      kind: t[p.id].role === 'param' ? 'param' : 'state',
    }));
    const pe = template.params.map((p) => ({ name: p.name, count: numel(t[p.id].shape) }));
    const se = template.states.map((p) => ({ name: p.name, count: numel(t[p.id].shape) }));
    this.params = makeArena(gpu, 'params', pe);
    this.grads = makeArena(gpu, 'grads', pe);
    this.momentum = makeArena(gpu, 'momentum', pe);
    this.states = makeArena(gpu, 'bn_stats', se);
  }

  /** Parameters and BN statistics by name, in state-dict order. */
  async getState(): Promise<Record<string, Float32Array>> {
    const [p, s] = await Promise.all([this.read(this.params), this.read(this.states)]);
    const out: Record<string, Float32Array> = {};
    for (const o of this.order) {
      const arena = o.kind === 'param' ? this.params : this.states;
      const at = arena.offsets.get(o.name)!;
      out[o.name] = (o.kind === 'param' ? p : s).slice(at.offset, at.offset + at.count);
    }
    return out;
  }

  setState(state: Record<string, Float32Array>): void {
    for (const [name, data] of Object.entries(state)) {
      const o = this.order.find((e) => e.name === name);
      if (!o) throw new Error(`setState: this network has no tensor named '${name}'`);
      const arena = o.kind === 'param' ? this.params : this.states;
      const at = arena.offsets.get(name)!;
      if (data.length !== at.count)
        throw new Error(`setState: ${name} has ${data.length} values, expected ${at.count} (shape [${o.shape}])`);
      this.gpu.device.queue.writeBuffer(arena.buffer, at.offset * 4, data.buffer, data.byteOffset, data.byteLength);
    }
  }

  async getMomentum(): Promise<Record<string, Float32Array>> {
    return slices(this.momentum, await this.read(this.momentum));
  }

  setMomentum(state: Record<string, Float32Array>): void {
    for (const [name, data] of Object.entries(state)) {
      const at = this.momentum.offsets.get(name);
      if (!at || at.count !== data.length) throw new Error(`setMomentum: bad tensor '${name}'`);
      this.gpu.device.queue.writeBuffer(this.momentum.buffer, at.offset * 4, data.buffer, data.byteOffset, data.byteLength);
    }
  }

  /** The gradients by parameter name, out of a read-back copy of the whole gradient arena. */
  gradients(data: Float32Array): Record<string, Float32Array> {
    return slices(this.grads, data);
  }

  /** Bytes of parameters, gradients, momentum and statistics. */
  bytes(): number {
    return (this.params.floats * 3 + this.states.floats) * 4;
  }

  destroy(): void {
    for (const a of [this.params, this.grads, this.momentum, this.states]) a.buffer.destroy();
  }

  private async read(a: Arena): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.gpu, a.buffer, 0, a.floats * 4));
  }
}
