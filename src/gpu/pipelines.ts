// Compute pipelines cached by (kernel name + entry + constants), compiled once with
// createComputePipelineAsync; compile errors come back with the WGSL line:col.
import { layoutFor, type Access } from './layouts';

export interface PipelineKey {
  name: string;
  code: string;
  entry: string;
  bindings: readonly Access[];
  constants?: Record<string, number>;
}

export class KernelCompileError extends Error {
  override name = 'KernelCompileError';
}

export class PipelineCache {
  private readonly done = new Map<string, GPUComputePipeline>();
  private readonly pending = new Map<string, Promise<GPUComputePipeline>>();
  private readonly modules = new Map<string, GPUShaderModule>();
  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.done.size;
  }

  async get(k: PipelineKey): Promise<GPUComputePipeline> {
    const consts = Object.entries(k.constants ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([n, v]) => `${n}=${v}`)
      .join(',');
    const key = `${k.name}|${k.entry}|${consts}`;
    const hit = this.done.get(key);
    if (hit) return hit;
    let p = this.pending.get(key);
    if (!p) {
      p = this.compile(k, key).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private async compile(k: PipelineKey, key: string): Promise<GPUComputePipeline> {
    let module = this.modules.get(k.name);
    if (!module) {
      module = this.device.createShaderModule({ label: k.name, code: k.code });
      this.modules.set(k.name, module);
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length) {
        this.modules.delete(k.name);
        throw new KernelCompileError(
          `WGSL compile error in ${k.name}.wgsl:\n` + errors.map((m) => `  ${m.lineNum}:${m.linePos} ${m.message}`).join('\n'),
        );
      }
    }
    this.device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline | undefined;
    let failure = '';
    try {
      pipeline = await this.device.createComputePipelineAsync({
        label: key,
        layout: this.device.createPipelineLayout({ label: `${k.name}.layout`, bindGroupLayouts: [layoutFor(this.device, k.bindings)] }),
        compute: { module, entryPoint: k.entry, constants: k.constants },
      });
    } catch (e) {
      failure = (e as Error).message;
    }
    // The scope is popped whatever happened; its validation message says more than the rejected promise.
    const err = await this.device.popErrorScope();
    if (err) throw new KernelCompileError(`pipeline ${key}: ${err.message}`);
    if (!pipeline) throw new KernelCompileError(`pipeline ${key}: ${failure}`);
    this.done.set(key, pipeline);
    return pipeline;
  }
}
