// What every kernel wrapper produces: a Dispatch, prepared once (pipeline, bind group, uniforms)
// and recorded into a compute pass every step. Wrappers never create anything per step.
import type { Gpu } from '../gpu/gpu';
import type { Access } from '../gpu/layouts';
import { layoutFor } from '../gpu/layouts';
import { createUniform } from '../gpu/buffers';
import type { Cost } from './cost';
import { MAX_LOOP_ITERATIONS } from './loops';

export type { Cost } from './cost';

export interface BufferRef {
  buffer: GPUBuffer;
  /** Byte offset; a multiple of the device's minStorageBufferOffsetAlignment (256). */
  offset?: number;
  /** Bytes bound; defaults to the rest of the buffer. */
  size?: number;
}

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: [number, number, number];
  /** The kernel's uniform buffer, for the few kernels whose uniforms change per step (SGD's learning rate). */
  uniforms?: GPUBuffer;
  /** FLOPs and storage traffic of one run, from the kernel's access pattern (the model in cost.ts). */
  cost: Cost;
  /** The most loop iterations one invocation makes, over all its loops (loops.ts); at most MAX_LOOP_ITERATIONS. */
  loops: number;
}

/** One WGSL file: its source and its binding signature (binding i of group 0 has access bindings[i]). */
export interface KernelDef {
  name: string;
  code: string;
  bindings: readonly Access[];
}

export interface PrepareArgs {
  entry: string;
  label: string;
  /** Storage buffers in binding order (the uniform binding, if any, is skipped here). */
  buffers: BufferRef[];
  /** Contents of the kernel's one uniform buffer (the binding marked 'uniform'). */
  uniforms?: ArrayBufferView;
  grid: [number, number, number];
  constants?: Record<string, number>;
  /** What one run costs (cost.ts), computed by the wrapper from the shapes it was given. */
  cost: Cost;
  /**
   * The most loop iterations one invocation of this dispatch makes, counted over all its loops with every pass
   * of an outer loop included, from the shapes it was given (loops.ts says why it is bounded).
   */
  loops: number;
}

export async function prepare(gpu: Gpu, def: KernelDef, a: PrepareArgs): Promise<Dispatch> {
  const pipeline = await gpu.pipelines.get({
    name: def.name,
    code: def.code,
    entry: a.entry,
    bindings: def.bindings,
    constants: a.constants,
  });
  let next = 0;
  let uniforms: GPUBuffer | undefined;
  const entries: GPUBindGroupEntry[] = def.bindings.map((access, binding) => {
    if (access === 'uniform') {
      if (!a.uniforms) throw new Error(`${a.label}: kernel ${def.name} needs uniforms`);
      uniforms = createUniform(gpu, `${a.label}.uniforms`, a.uniforms);
      return { binding, resource: { buffer: uniforms } };
    }
    const ref = a.buffers[next++];
    if (!ref) throw new Error(`${a.label}: kernel ${def.name} binding ${binding} has no buffer`);
    return { binding, resource: { buffer: ref.buffer, offset: ref.offset ?? 0, size: ref.size } };
  });
  if (next !== a.buffers.length) throw new Error(`${a.label}: ${a.buffers.length} buffers given, kernel ${def.name} takes ${next}`);
  if (!(a.loops <= MAX_LOOP_ITERATIONS))
    throw new Error(
      `${a.label}: one invocation of ${def.name}.${a.entry} would loop ${a.loops} times, past the ${MAX_LOOP_ITERATIONS} some drivers allow (loops.ts)`,
    );
  for (const g of a.grid) {
    if (g > gpu.limits.maxComputeWorkgroupsPerDimension)
      throw new Error(`${a.label}: grid ${a.grid} exceeds maxComputeWorkgroupsPerDimension`);
  }
  const bindGroup = gpu.device.createBindGroup({ label: a.label, layout: layoutFor(gpu.device, def.bindings), entries });
  return { label: a.label, pipeline, bindGroup, grid: a.grid, uniforms, cost: a.cost, loops: a.loops };
}

/**
 * A grid of workgroups covering `count` invocations of `wg` threads, folded into y when x would pass 65535.
 * Shaders recover the flat index as `gid.x + gid.y * nwg.x * WG` (see shaders/README.md).
 */
export function grid1d(count: number, wg: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / wg));
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

export function record(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
  }
}

/** Runs dispatches in one encoder and one submit (tests and one-off work; the executor records its own). */
export function run(gpu: Gpu, dispatches: readonly Dispatch[], label = 'run'): void {
  const enc = gpu.device.createCommandEncoder({ label });
  const pass = enc.beginComputePass({ label });
  record(pass, dispatches);
  pass.end();
  gpu.device.queue.submit([enc.finish()]);
}

/** Packs u32/i32 and f32 fields for a uniform struct; every field is 4 bytes, in declaration order. */
export function packUniforms(fields: (number | { f32: number })[]): Uint32Array {
  const out = new Uint32Array(Math.max(4, Math.ceil(fields.length / 4) * 4));
  const f = new Float32Array(out.buffer);
  fields.forEach((v, i) => {
    if (typeof v === 'number') out[i] = v >>> 0;
    else f[i] = v.f32;
  });
  return out;
}
