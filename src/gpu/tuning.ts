// Per-adapter kernel choices. One profile for real GPUs and one for CPU implementations of WebGPU
// (SwiftShader, the fallback adapter): kernels read gpu.tuning and pick a variant and its override
// constants from it, so a new adapter class is one more entry here, not a change in every wrapper.
//
// Why the CPU profile differs (measured on SwiftShader, Chromium, 2 cores): a workgroup that contains a
// barrier runs each 4-lane SIMD group as its own coroutine, so one workgroupBarrier in a 65k-element copy
// took it from ~2.5 ms to 28-82 ms. Workgroup memory only pays off where a barrier is cheap, so on a CPU
// adapter the GEMM reads storage directly and reductions are serial per invocation (no barriers).
//
// The GPU profile has not been timed on a GPU yet (the autotuner, src/tune, times both profiles' variants per layer
// on the device it runs on; bench/GPU.md gathers what it finds). Its kernels are designed from the hardware: implicit-GEMM
// convolutions with workgroup-memory tiles and register blocking (conv_igemm*.wgsl), BatchNorm reductions
// spread over hundreds of workgroups (batchnorm_split.wgsl); the static cost model (src/runtime/costModel.ts)
// puts a ResNet-20 training step at batch 128 at 1.4x its lower bound on memory traffic (the explicit
// im2col path: 5.5x), and the tests force every variant on SwiftShader for correctness.

export type Profile = 'gpu' | 'cpu';

/**
 * Convolution: 'explicit' im2col (+ col2im) and GEMM (the tested reference); 'implicit', no column buffer
 * and no workgroup memory (conv_implicit.wgsl, conv3x3.wgsl: CPU adapters); 'igemm', an implicit GEMM with
 * workgroup-memory tiles (conv_igemm.wgsl, conv_igemm_weight.wgsl: GPUs).
 */
export type ConvVariant = 'explicit' | 'implicit' | 'igemm';

export interface Tuning {
  profile: Profile;
  /** GEMM: 'tiled' stages A and B tiles in workgroup memory (gemm.wgsl); 'direct' has no workgroup memory (gemm_direct.wgsl). */
  gemm: 'tiled' | 'direct';
  /** Workgroup size of the direct GEMM (a power of two), halved down to 4 until it has minGroups workgroups. */
  gemmDirectWg: number;
  /**
   * Workgroups a batch-reducing GEMM (the explicit convolution weight gradient) should run: it is split into
   * partial sums over the images until it has this many (gemmSplits in src/kernels/gemm.ts); 0: never split.
   */
  splitKGroups: number;
  /**
   * Workgroups an 'igemm' forward or input-gradient convolution aims for (about one per compute unit of a
   * large GPU): its tiles shrink until the grid has this many, and every workgroup fetches the weights again.
   */
  convGroups: number;
  /** Workgroups a dispatch should have to keep every core of a CPU adapter busy. */
  minGroups: number;
  /**
   * Per-channel reductions (BatchNorm statistics and backward sums, channel sums, softmax cross-entropy):
   * 'workgroup' is a tree in workgroup memory, one workgroup per channel; 'serial' gives each channel one
   * invocation that sums with Kahan compensation, with no barriers.
   */
  reduce: 'workgroup' | 'serial';
  /**
   * BatchNorm statistics and backward sums: as `reduce`, or 'split': each channel over several workgroups
   * that write partial sums, then one invocation per channel combining them (batchnorm_split.wgsl), so a
   * layer of 16 channels still runs hundreds of workgroups and reads x once.
   */
  bnReduce: 'workgroup' | 'serial' | 'split';
  /** Workgroup size of flat elementwise kernels and of the 'workgroup' reductions. */
  wg: number;
  /** Convolution variant per pass: forward, input gradient, weight gradient. */
  conv: Readonly<Record<'forward' | 'input' | 'weight', ConvVariant>>;
  /** Implicit 3x3/stride 1/pad 1 convolutions use the vec4-row kernel (conv3x3.wgsl) rather than the general one. */
  conv3x3: boolean;
}

export const TUNINGS: Readonly<Record<Profile, Tuning>> = {
  gpu: {
    profile: 'gpu',
    gemm: 'tiled',
    gemmDirectWg: 64,
    splitKGroups: 256,
    convGroups: 128,
    minGroups: 1,
    reduce: 'workgroup',
    bnReduce: 'split',
    wg: 256,
    conv: { forward: 'igemm', input: 'igemm', weight: 'igemm' },
    conv3x3: true,
  },
  cpu: {
    profile: 'cpu',
    gemm: 'direct',
    gemmDirectWg: 64,
    splitKGroups: 0,
    convGroups: 0,
    minGroups: 8,
    reduce: 'serial',
    bnReduce: 'serial',
    wg: 256,
    conv: { forward: 'implicit', input: 'implicit', weight: 'implicit' },
    conv3x3: true,
  },
};

/**
 * Per-layer tunings the autotuner chose (src/tune), by layer key (nodeKey in src/graph/ops): a node whose key is
 * not in it runs the profile's tuning. Each entry is a whole Tuning, so a node's kernels read one object as before.
 */
export type LayerTunings = ReadonlyMap<string, Tuning>;

/** What a node's tuning comes from: the profile, and the autotuner's per-layer choices where it made any (a Gpu is one). */
export interface TuningSource {
  tuning: Tuning;
  layers?: LayerTunings;
}

/** What the adapter says about itself (GPUAdapterInfo, plus isFallbackAdapter where the browser has it). */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Names of software (CPU) WebGPU implementations. */
export const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|microsoft basic render/;

/** CPU implementations: the fallback adapter, SwiftShader, and Mesa's software rasterisers. */
export function profileFor(f: AdapterFacts): Profile {
  return profileChoice(f).profile;
}

/**
 * The profile for an adapter and why, in words for the UI: before the autotuner (src/tune) has measured this GPU, the choice
 * is a rule on what the adapter says of itself, and the page says which rule decided.
 */
export function profileChoice(f: AdapterFacts): { profile: Profile; why: string } {
  if (f.isFallbackAdapter) return { profile: 'cpu', why: 'the browser reports a fallback (software) adapter' };
  const text = [f.vendor, f.architecture, f.description].filter(Boolean).join(' ').toLowerCase();
  const soft = SOFTWARE_ADAPTER.exec(text);
  if (soft) return { profile: 'cpu', why: `the adapter names itself ${soft[0]}, a CPU implementation` };
  if (!text) return { profile: 'gpu', why: 'the adapter does not name itself and is not a fallback adapter: taken for a GPU' };
  return { profile: 'gpu', why: 'a hardware adapter (not a fallback, no software renderer in its name)' };
}

/** The profile's tuning with `override` applied: a profile name or individual fields (tests, benchmarks). */
export function tuningFor(f: AdapterFacts, override?: Profile | Partial<Tuning>): Tuning {
  if (typeof override === 'string') return TUNINGS[override];
  const base = TUNINGS[override?.profile ?? profileFor(f)];
  return { ...base, ...override };
}

/**
 * Workgroup size for `count` independent invocations: `max` (a power of two), halved while that leaves
 * fewer than tuning.minGroups workgroups, down to 4 (one SIMD group on SwiftShader).
 */
export function flatWg(t: Tuning, count: number, max = t.wg): number {
  let wg = max;
  while (wg > 4 && Math.ceil(count / wg) < t.minGroups) wg /= 2;
  return wg;
}
