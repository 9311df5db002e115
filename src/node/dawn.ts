// WebGPU in Node: Dawn's binding (the `webgpu` package, dist/<platform>/dawn.node) installed as navigator.gpu
// with the WebGPU globals (GPUBufferUsage, GPUValidationError, ...), so the engine runs unchanged.
// Importing this module loads dawn.node and installs the globals at once, because engine modules read them when
// they are evaluated (src/gpu/buffers.ts STORAGE): import it before the engine. Loading dawn.node touches no
// driver; Vulkan is opened by create() in installDawn(), so the Vulkan environment (src/node/vulkan.ts) need
// only be in place by then.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);

export interface DawnOptions {
  /**
   * Which adapter: a case-insensitive part of its name as Dawn lists it (e.g. 'nvidia', 'SwiftShader'), or
   * undefined for the one requestAdapter() picks.
   */
  adapter?: string;
  /** Dawn backend: 'vulkan', 'metal', 'd3d12', 'null', ... */
  backend?: string;
  /** More Dawn options, e.g. 'enable-dawn-features=dump_shaders'. */
  flags?: string[];
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface Dawn {
  gpu: GPU;
  /** Removes navigator.gpu again, so node can exit (Dawn keeps the process alive while it is referenced). */
  uninstall(): void;
}

/** What to do when Dawn finds no adapter at all. */
export const NO_ADAPTER =
  "Install a Vulkan driver (your GPU's, or Mesa's lavapipe: apt-get install mesa-vulkan-drivers) or Debian's Chromium (its SwiftShader is then used), or name another adapter with --adapter.\n";

export class DawnError extends Error {
  override name = 'DawnError';
}

/** The adapters Dawn can see, from the list it prints for an adapter name that matches none (as its README documents). */
async function listAdapters(base: string[]): Promise<{ backend: string; name: string }[]> {
  try {
    await create([...base, 'adapter=\u0001']).requestAdapter();
    return [];
  } catch (e) {
    return [...String((e as Error).message).matchAll(/backend: '([^']*)', name: '([^']*)'/g)].map((m) => ({ backend: m[1], name: m[2] }));
  }
}

/** Creates Dawn's GPU object (with the adapter asked for) and installs it as navigator.gpu. */
export async function installDawn(opts: DawnOptions = {}): Promise<Dawn> {
  const base = [...(opts.backend ? [`backend=${opts.backend}`] : []), ...(opts.flags ?? [])];
  const flags = [...base];
  if (opts.adapter) {
    const adapters = await listAdapters(base);
    const want = opts.adapter.toLowerCase();
    const hit = adapters.find((a) => a.name.toLowerCase().includes(want) || a.backend.toLowerCase() === want);
    if (!hit) {
      const seen = adapters.length ? adapters.map((a) => `'${a.name}' (${a.backend})`).join(', ') : 'none (is a Vulkan driver installed?)';
      throw new DawnError(`No GPU adapter matches '${opts.adapter}'. Adapters found: ${seen}.`);
    }
    flags.push(`adapter=${hit.name}`);
  }
  const gpu = create(flags);
  const g = globalThis as { navigator?: object };
  g.navigator ??= {};
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true, enumerable: true });
  return {
    gpu,
    uninstall: () => {
      if (g.navigator && (g.navigator as { gpu?: GPU }).gpu === gpu) delete (g.navigator as { gpu?: GPU }).gpu;
    },
  };
}

/** What the adapter the engine will get says about itself (the same request as src/gpu/gpu.ts makes). */
export async function describeAdapter(gpu: GPU): Promise<AdapterDescription | undefined> {
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return undefined;
  const i = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: Boolean(i.isFallbackAdapter) };
}
