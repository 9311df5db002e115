// The GPU context: adapter, device with the limits the engine needs, error plumbing.
// This folder is the only code that calls device.create*; everything else asks it.
import { PipelineCache } from './pipelines';
import { profileChoice, SOFTWARE_ADAPTER, tuningFor, type AdapterFacts, type LayerTunings, type Profile, type Tuning } from './tuning';

export interface GpuErrorInfo {
  kind: 'lost' | 'validation' | 'out-of-memory' | 'internal';
  message: string;
}

export interface Gpu {
  device: GPUDevice;
  /** The adapter's vendor, architecture and description as it gives them ('adapter not named' when all are empty). */
  adapterName: string;
  /** What the page says of it (describeAdapter): the browser's WebGPU, software or not, and its name. */
  adapterLabel: string;
  /** Why tuning.profile was chosen (profileChoice), or that the caller chose it. */
  profileWhy: string;
  limits: GPUSupportedLimits;
  hasTimestamps: boolean;
  pipelines: PipelineCache;
  /** Kernel variants and workgroup sizes for this adapter (src/gpu/tuning.ts). */
  tuning: Tuning;
  /** The autotuner's per-layer choices (src/tune), applied where graphs are compiled; absent: the profile everywhere. */
  layers?: LayerTunings;
  /** What the adapter says of itself (the tuning cache's key and the GPU report). */
  facts: AdapterFacts;
  /** The adapter's optional features (GPU report). */
  features: string[];
  /** Every uncaptured error and device loss, in order; listeners turn them into UI messages. */
  onError: Set<(e: GpuErrorInfo) => void>;
  /** Destroys the device on purpose (no 'lost' report); a destroy by anyone else counts as a loss. */
  destroy(): void;
}

export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/** Asks for the adapter's real buffer limits: im2col at batch 128 exceeds the 128 MiB default. */
export async function createGpu(opts: { powerPreference?: GPUPowerPreference; tuning?: Profile | Partial<Tuning> } = {}): Promise<Gpu> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    throw new WebGpuUnavailableError(
      'WebGPU is not available in this browser. Use a recent Chrome or Edge; on Linux start it with ' +
        '--enable-unsafe-webgpu --enable-features=Vulkan, or enable chrome://flags/#enable-unsafe-webgpu.',
    );
  }
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError('WebGPU is present but no GPU adapter was found (is the GPU blocklisted?).');
  const want: (keyof GPUSupportedLimits)[] = [
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxStorageBuffersPerShaderStage',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxComputeWorkgroupsPerDimension',
  ];
  const requiredLimits: Record<string, number> = {};
  for (const k of want) requiredLimits[k] = adapter.limits[k] as number;
  const hasTimestamps = adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice({
    label: 'resnet-playground',
    requiredLimits,
    requiredFeatures: hasTimestamps ? ['timestamp-query'] : [],
  });
  const info = adapter.info;
  const facts = {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    isFallbackAdapter: isFallback(adapter),
  };
  const adapterName = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'adapter not named';
  const gpu: Gpu = {
    device,
    adapterName,
    adapterLabel: describeAdapter(facts, typeof navigator === 'undefined' ? undefined : navigator.userAgent),
    profileWhy: opts.tuning ? 'chosen by the caller' : profileChoice(facts).why,
    limits: device.limits,
    hasTimestamps,
    pipelines: new PipelineCache(device),
    tuning: tuningFor(facts, opts.tuning),
    facts,
    features: [...adapter.features].sort(),
    onError: new Set(),
    destroy: () => {
      destroyedHere = true;
      device.destroy();
    },
  };
  let destroyedHere = false;
  const emit = (e: GpuErrorInfo) => gpu.onError.forEach((fn) => fn(e));
  device.addEventListener('uncapturederror', (ev) => {
    const err = ev.error;
    const kind = err instanceof GPUOutOfMemoryError ? 'out-of-memory' : err instanceof GPUValidationError ? 'validation' : 'internal';
    emit({ kind, message: err.message });
  });
  void device.lost.then((info) => {
    if (!(info.reason === 'destroyed' && destroyedHere)) emit({ kind: 'lost', message: `GPU device lost: ${info.message || info.reason}` });
  });
  return gpu;
}

/** The browser whose WebGPU runs, from its user agent (Edge and Chrome both say Chrome; Edge adds Edg/). */
export function browserOf(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  if (/Firefox\//.test(userAgent)) return 'Firefox';
  if (/Edg\//.test(userAgent)) return 'Edge';
  if (/Chrom(e|ium)\//.test(userAgent)) return 'Chrome';
  if (/Safari\//.test(userAgent)) return 'Safari';
  if (/Node\.js|Deno|Bun/.test(userAgent)) return 'Dawn';
  return undefined;
}

/**
 * The header's words for an adapter: what it is known to be, never a guess. "WebGPU (Firefox), software adapter,
 * not named" where the browser hides the adapter's name (Firefox gives empty strings); "WebGPU (Chrome), software
 * adapter, google swiftshader"; "WebGPU (Chrome), nvidia ampere".
 */
export function describeAdapter(f: AdapterFacts, userAgent?: string): string {
  const browser = browserOf(userAgent);
  const name = [f.vendor, f.architecture, f.description].filter(Boolean).join(' ');
  const soft = f.isFallbackAdapter || SOFTWARE_ADAPTER.test(name.toLowerCase());
  return [`WebGPU${browser ? ` (${browser})` : ''}`, soft ? 'software adapter' : '', name || 'not named'].filter(Boolean).join(', ');
}

/** GPUAdapterInfo.isFallbackAdapter where the browser has it, else the older GPUAdapter.isFallbackAdapter. */
function isFallback(adapter: GPUAdapter): boolean {
  const a = adapter as GPUAdapter & { isFallbackAdapter?: boolean; info: GPUAdapterInfo & { isFallbackAdapter?: boolean } };
  return a.info.isFallbackAdapter ?? a.isFallbackAdapter ?? false;
}
