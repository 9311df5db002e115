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
  /**
   * How Dawn polls for finished GPU work while a promise (mapAsync, onSubmittedWorkDone) is pending: 'paced' (the
   * default, throttleDawnPolling) or 'busy' (Dawn's own setImmediate loop).
   */
  polling?: 'paced' | 'busy';
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
  "Install your GPU's Vulkan driver, or Debian's Chromium (apt-get install chromium: its SwiftShader, a CPU implementation, is then used when no other driver gives an adapter; Debian 12's lavapipe does not), or name another adapter with --adapter.\n";

export class DawnError extends Error {
  override name = 'DawnError';
}

/** The adapters Dawn can see, from the list it prints for an adapter name that matches none (as its README documents). */
async function listAdapters(base: string[]): Promise<{ backend: string; name: string }[]> {
  try {
    await create([...base, 'adapter=\u0001']).requestAdapter();
    return [];
  } catch (e) {
    return [...(e as Error).message.matchAll(/backend: '([^']*)', name: '([^']*)'/g)].map((m) => ({ backend: m[1], name: m[2] }));
  }
}

/** Polls stay immediate for this long into a wait (quick readbacks keep their latency) ... */
const SPIN_MS = 2;
/** ... then come every this many milliseconds. */
const POLL_MS = 1;

/**
 * Paces Dawn's polling. While any GPU promise is pending, dawn.node calls wgpuInstanceProcessEvents from a
 * setImmediate loop (crbug.com/dawn/1127), which keeps a core busy; with a CPU adapter (SwiftShader) on a small
 * machine that core is taken from the shader threads: ResNet-8 steps ran 2-3x slower than in Chromium on the same
 * SwiftShader, and 3x faster with this in place. Dawn's poll callback is the only native, anonymous function handed
 * to the global setImmediate: after SPIN_MS of one wait its next polls go through setTimeout(POLL_MS) instead;
 * every other callback goes to setImmediate unchanged. Returns what undoes it.
 */
export function throttleDawnPolling(): () => void {
  const g = globalThis as { setImmediate: typeof setImmediate };
  const original = g.setImmediate;
  let polling = false;
  let waitStart = 0;
  const isDawnPoll = (fn: unknown) =>
    typeof fn === 'function' && fn.name === '' && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));
  const paced = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (!isDawnPoll(fn)) return original(fn, ...args);
    const now = performance.now();
    if (!polling) waitStart = now; // scheduled from outside a poll: a new wait begins
    const run = () => {
      polling = true;
      try {
        fn(...args);
      } finally {
        polling = false;
      }
    };
    return now - waitStart < SPIN_MS ? original(run) : setTimeout(run, POLL_MS);
  }) as typeof setImmediate;
  g.setImmediate = Object.assign(paced, original);
  return () => {
    if (g.setImmediate === paced) g.setImmediate = original;
  };
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
  const unpace = opts.polling === 'busy' ? () => undefined : throttleDawnPolling();
  const g = globalThis as { navigator?: object };
  g.navigator ??= {};
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true, enumerable: true });
  return {
    gpu,
    uninstall: () => {
      unpace();
      if (g.navigator && (g.navigator as { gpu?: GPU }).gpu === gpu) delete (g.navigator as { gpu?: GPU }).gpu;
    },
  };
}

/** What the adapter the engine will get says about itself (the same request as src/gpu/gpu.ts makes). */
export async function describeAdapter(gpu: GPU): Promise<AdapterDescription | undefined> {
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return undefined;
  const i = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    isFallbackAdapter: i.isFallbackAdapter,
  };
}
