// The autotuner: for a network and batch size, times every tested kernel variant of each distinct layer (op kind,
// attributes and shapes: nodeKey) on the device itself, keeps the fastest per layer, and confirms the choice on
// whole training steps against the better fixed profile (as cuDNN's benchmark mode and Triton's autotune do:
// measure where it runs rather than guess from the adapter's name). Kernels know nothing of it: it hands the
// executor per-layer Tunings (gpu.layers), which the executor gives each node as that node's gpu.tuning.
import type { Gpu } from '../gpu/gpu';
import { TUNINGS, type LayerTunings, type Profile, type Tuning } from '../gpu/tuning';
import { appendBackward } from '../graph/autodiff';
import type { Graph, Node } from '../graph/ir';
import { nodeKey } from '../graph/ops';
import { resolveConfig, type ModelConfig } from '../model/config';
import { buildNetGraph } from '../model/resnet';
import { Network } from '../runtime/network';
import { Rng } from '../util/rng';
import { candidatesFor, profileCandidate, type Candidate } from './candidates';
import { LayerTimer, type TimingMethod } from './timeLayer';

export interface TunedCandidate {
  label: string;
  /** GPU ms of one run of the layer (its fastest round); undefined where the budget ran out before it was timed. */
  ms?: number;
  /** Its first run was over 3x the best so far, so it was not repeated (ms is that first run). */
  pruned?: boolean;
  /** The fixed profiles that run this variant for this layer. */
  profiles: Profile[];
}

export interface TunedLayer {
  key: string;
  kind: string;
  /** The graph nodes with this key (one layer shape may occur many times: stage 1's convolutions). */
  nodes: string[];
  candidates: TunedCandidate[];
  /** The label of the fastest candidate; undefined where none was timed. */
  chosen?: string;
}

export interface TuneResult {
  model: string;
  batch: number;
  adapter: string;
  timing: TimingMethod;
  /** The profile the adapter's rule picked: the base of every candidate and what untuned layers run. */
  base: Profile;
  layers: TunedLayer[];
  /** The per-layer tunings of the chosen candidates, by layer key. */
  choices: Record<string, Tuning>;
  /** Sums of the timed layers (ms per step) as the tuner would run them and as each fixed profile does. */
  estimate: { tuned: number } & Partial<Record<Profile, number>>;
  /** Whole training steps, fastest ms: the tuned network against the better fixed profile (absent where no layer changed). */
  step?: { tunedMs: number; fixedMs: number; fixedProfile: Profile };
  /** What the device runs from now on: the per-layer choices, or the fixed profile that beat them. */
  kept: 'tuned' | Profile;
  /** In words: why that was kept (the header's tooltip, the Kernel profile tab). */
  why: string;
  /** The layer search stopped at its time budget with layers left untimed. */
  budgetHit: boolean;
  /** Seconds of the layer search, and of the whole tuning (with the confirming steps). */
  searchSeconds: number;
  seconds: number;
}

export interface TuneProgress {
  done: number;
  total: number;
  /** The layer being timed: its first node's name. */
  layer: string;
}

export interface TuneOptions {
  /** Milliseconds for the layer search (default 4 s on a GPU, 45 s on a CPU adapter). */
  budgetMs?: number;
  /** Fewer candidates per layer, layers timed at batch 8 at most: the default on CPU adapters (profile 'cpu'). */
  reduced?: boolean;
  /** Whole training steps timed for each of tuned and fixed, alternating (default 3; 2 when reduced). */
  confirmSteps?: number;
  onProgress?: (p: TuneProgress) => void;
  /** Checked between timings: when it is aborted, tuning stops with a TuneCancelled error. */
  signal?: AbortSignal;
}

export class TuneCancelled extends Error {
  override name = 'TuneCancelled';
}

/**
 * The model's name as the benchmarks print it (resnet20, plain56), with what else changes its layer shapes where it
 * is not the default: resnet8-w4 (width 4), resnet20-B (projection shortcuts), -bottleneck, -nobn, -c100 (classes);
 * the ImageNet family as resnet50-imagenet (-cifarstem, -stride1x1 where not torchvision's).
 */
export function modelName(m: ModelConfig): string {
  const c = resolveConfig(m);
  const imagenet = c.family === 'imagenet';
  // The family's defaults (a CIFAR depth is one only with its block; an ImageNet depth fixes the block).
  const base = resolveConfig({ arch: c.arch, depth: c.depth, family: c.family, block: imagenet ? undefined : c.block });
  const extra = [
    imagenet ? 'imagenet' : '',
    c.width !== base.width ? `w${c.width}` : '',
    c.shortcut !== base.shortcut ? c.shortcut : '',
    !imagenet && c.block === 'bottleneck' ? 'bottleneck' : '',
    c.batchNorm ? '' : 'nobn',
    c.classes !== base.classes ? `c${c.classes}` : '',
    imagenet && c.stem === 'cifar' ? 'cifarstem' : '',
    imagenet && c.strideAt === '1x1' && c.block === 'bottleneck' ? 'stride1x1' : '',
  ].filter(Boolean);
  return [`${c.arch === 'residual' ? 'resnet' : 'plain'}${c.depth}`, ...extra].join('-');
}

/** The training graph a network of `model` at `batch` compiles (no recomputation), for its layer keys. */
export function trainingGraph(model: ModelConfig, batch: number): Graph {
  const net = buildNetGraph(resolveConfig(model), batch, 'train');
  appendBackward(net.b, { checkpoints: [] });
  return net.b.graph;
}

/** Multiply-adds (convolutions) or elements moved (the rest): the order the search spends its budget in. */
function work(g: Graph, n: Node): number {
  const numel = (id: number) => g.tensors[id].shape.reduce((a, b) => a * b, 1);
  const big = Math.max(...[...n.inputs, ...n.outputs].map(numel));
  if (!n.kind.startsWith('conv2d')) return big;
  const w = g.tensors[n.kind === 'conv2dGradWeight' ? n.outputs[0] : n.inputs[1]].shape;
  return big * w[1] * w[2] * w[3];
}

/** Distinct layers that have variants, heaviest first, each with its nodes and candidates. */
export function tunableLayers(g: Graph, base: Tuning, reduced: boolean): { key: string; nodes: Node[]; candidates: Candidate[] }[] {
  const byKey = new Map<string, { key: string; nodes: Node[]; candidates: Candidate[] }>();
  for (const n of g.nodes) {
    if (n.phase !== 'forward' && n.phase !== 'backward') continue;
    const key = nodeKey(g, n);
    const e = byKey.get(key);
    if (e) e.nodes.push(n);
    else {
      const candidates = candidatesFor(g, n, base, reduced);
      if (candidates.length > 1) byKey.set(key, { key, nodes: [n], candidates });
    }
  }
  return [...byKey.values()].sort((a, b) => work(g, b.nodes[0]) * b.nodes.length - work(g, a.nodes[0]) * a.nodes.length);
}

const PROFILES: Profile[] = ['cpu', 'gpu'];

/**
 * How much faster than the base profile's variant another must be to replace it: a layer timed alone differs from
 * the same layer inside a step (caches, what ran before), and on a CPU adapter two runs of one kernel differ by
 * several percent, so a smaller gain is noise that a whole step does not keep (measured on SwiftShader: choosing
 * on any gain left ResNet-20 at batch 8 10% slower than the 'cpu' profile).
 */
export const GPU_MARGIN = 0.03;
/** The batch a reduced search times layers at (below: the batch itself). */
export const REDUCED_BATCH = 8;
export const CPU_MARGIN = 0.1;

/** The fastest timed candidate, unless it beats `incumbent` (the base profile's) by less than `margin`. */
export function choose(timed: ReadonlyMap<Candidate, { ms: number; pruned?: boolean }>, incumbent: Candidate | undefined, margin: number) {
  let best: Candidate | undefined;
  for (const [c, t] of timed) if (!t.pruned && (!best || t.ms < timed.get(best)!.ms)) best = c;
  const inc = incumbent && timed.get(incumbent);
  if (best && inc && !inc.pruned && timed.get(best)!.ms > inc.ms * (1 - margin)) return incumbent;
  return best;
}

/** Tunes `model` at `batch` on `gpu` (which it leaves as it found it); apply the result with applyTuning. */
export async function autotune(gpu: Gpu, model: ModelConfig, batch: number, o: TuneOptions = {}): Promise<TuneResult> {
  const started = performance.now();
  const base = gpu.tuning.profile;
  const reduced = o.reduced ?? base === 'cpu';
  const budget = o.budgetMs ?? (base === 'cpu' ? 45_000 : 4_000);
  const g = trainingGraph(model, batch);
  // A reduced search times each layer at a batch of at most REDUCED_BATCH (the same node by name): a CPU adapter's
  // kernels take time in proportion to the images, so the ranking holds and the search takes a quarter of the time
  // at batch 32. The whole steps that confirm the choice run at the real batch.
  const timingBatch = reduced ? Math.min(batch, REDUCED_BATCH) : batch;
  const tg = timingBatch === batch ? g : trainingGraph(model, timingBatch);
  const timingNode = (n: Node) => (tg === g ? n : tg.nodes.find((m) => m.name === n.name)!);
  const layers = tunableLayers(g, TUNINGS[base], reduced);
  const total = layers.reduce((a, l) => a + l.candidates.length, 0);
  const check = () => {
    if (o.signal?.aborted) throw new TuneCancelled('tuning cancelled');
  };
  let done = 0;
  let budgetHit = false;
  let timing: TimingMethod = gpu.hasTimestamps ? 'timestamps' : 'wall';
  const results: TunedLayer[] = [];
  let changed = 0; // layers whose choice is not the base profile's variant
  const choices: Record<string, Tuning> = {};
  const estimate: TuneResult['estimate'] = { tuned: 0, cpu: 0, gpu: 0 };
  for (const layer of layers) {
    const node = layer.nodes[0];
    // The fixed profiles' variants first, so a budget that runs out still leaves them to compare.
    const fixed = PROFILES.map((p) => profileCandidate(layer.candidates, node, p));
    const order = [...new Set([fixed[PROFILES.indexOf(base)], ...fixed, ...layer.candidates].filter((c): c is Candidate => !!c))];
    const timed = new Map<Candidate, { ms: number; pruned?: boolean }>();
    const timer = new LayerTimer(gpu, tg, timingNode(node));
    timing = timer.method;
    try {
      for (const c of order) {
        check();
        if (performance.now() - started > budget) {
          budgetHit = true;
          break;
        }
        o.onProgress?.({ done, total, layer: node.name });
        const best = Math.min(...[...timed.values()].filter((t) => !t.pruned).map((t) => t.ms));
        timed.set(c, await timer.time(c.tuning, reduced ? { reps: 1, rounds: 3, pruneMs: 3 * best + 5 } : { reps: 5, rounds: 3 }));
        done++;
      }
    } finally {
      timer.destroy();
    }
    const chosen = choose(timed, fixed[PROFILES.indexOf(base)], reduced ? CPU_MARGIN : GPU_MARGIN);
    if (chosen && chosen !== fixed[PROFILES.indexOf(base)]) changed++;
    const count = layer.nodes.length;
    if (chosen) {
      choices[layer.key] = chosen.tuning;
      estimate.tuned += count * timed.get(chosen)!.ms;
    }
    PROFILES.forEach((p, i) => {
      const t = fixed[i] && timed.get(fixed[i]);
      estimate[p] = t && estimate[p] !== undefined ? estimate[p] + count * t.ms : undefined;
    });
    results.push({
      key: layer.key,
      kind: node.kind,
      nodes: layer.nodes.map((n) => n.name),
      chosen: chosen?.label,
      candidates: layer.candidates.map((c) => ({
        label: c.label,
        ms: timed.get(c)?.ms,
        ...(timed.get(c)?.pruned ? { pruned: true } : {}),
        profiles: PROFILES.filter((_, i) => fixed[i] === c),
      })),
    });
  }
  const searchSeconds = (performance.now() - started) / 1000;
  o.onProgress?.({ done, total, layer: 'whole steps' });
  // The better fixed profile by the same layer sums (a profile whose variants were not all timed counts as slower).
  const fixedProfile: Profile = PROFILES.filter((p) => estimate[p] !== undefined).sort((a, b) => estimate[a]! - estimate[b]!)[0] ?? base;
  check();
  let step: TuneResult['step'];
  let kept: TuneResult['kept'];
  let why: string;
  if (changed === 0 && fixedProfile === base) {
    // Every layer's fastest variant is the one the profile runs already: the tuned network is that profile's.
    kept = base;
    why = `the '${base}' profile: timed layer by layer, its variant was the fastest of every layer (${results.length} layer shapes)`;
  } else {
    const s = await confirmSteps(gpu, model, batch, choices, fixedProfile, o.confirmSteps ?? (reduced ? 2 : 3), check);
    step = { ...s, fixedProfile };
    kept = s.tunedMs <= s.fixedMs ? 'tuned' : fixedProfile;
    why =
      kept === 'tuned'
        ? `tuned for this GPU: ${changed} of ${results.length} layer shapes run another variant than the '${base}' profile's, a training step ${(s.fixedMs / s.tunedMs).toFixed(2)}x the speed of the '${fixedProfile}' profile`
        : `the '${fixedProfile}' profile: its training step (${s.fixedMs.toFixed(1)} ms) beat the per-layer choices (${s.tunedMs.toFixed(1)} ms), so it is kept`;
  }
  return {
    model: modelName(model),
    batch,
    adapter: gpu.adapterName,
    timing,
    base,
    layers: results,
    choices,
    estimate,
    step,
    kept,
    why,
    budgetHit,
    searchSeconds,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The same gpu with a fixed profile, or with per-layer choices on top of `base`. */
export function gpuWith(gpu: Gpu, profile: Profile, layers?: LayerTunings): Gpu {
  return { ...gpu, tuning: TUNINGS[profile], layers };
}

/**
 * The fastest ms of whole training steps of the tuned network and of `fixed`, alternating one step of each so
 * that a change in the machine's load falls on both.
 */
async function confirmSteps(
  gpu: Gpu,
  model: ModelConfig,
  batch: number,
  choices: Record<string, Tuning>,
  fixed: Profile,
  steps: number,
  check: () => void,
): Promise<{ tunedMs: number; fixedMs: number }> {
  const rng = new Rng(1);
  const images = new Float32Array(batch * 3 * 32 * 32).map(() => rng.normal());
  const labels = Int32Array.from({ length: batch }, () => rng.int(10));
  const hyper = { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 };
  const nets: Network[] = [];
  try {
    nets.push(
      await Network.create(gpuWith(gpu, gpu.tuning.profile, new Map(Object.entries(choices))), model, { batchSize: batch, seed: 0 }),
    );
    nets.push(await Network.create(gpuWith(gpu, fixed), model, { batchSize: batch, seed: 0 }));
    const times: number[][] = [[], []];
    for (let s = -1; s < steps; s++)
      for (let i = 0; i < 2; i++) {
        check();
        const t0 = performance.now();
        await nets[i].trainStep(images, labels, hyper);
        if (s >= 0) times[i].push(performance.now() - t0); // step -1 warms both up
      }
    // The fastest step of each: load on a shared machine only ever adds time (on SwiftShader the medians of three
    // alternating steps of two identical networks differed by up to 10%).
    return { tunedMs: Math.min(...times[0]), fixedMs: Math.min(...times[1]) };
  } finally {
    nets.forEach((n) => n.destroy());
  }
}

/**
 * Puts tuning results into effect on `gpu` for graphs compiled from now on (networks already built keep their
 * kernels): the union of the per-layer choices of every result that kept them (later results win) on top of the
 * base profile. Only where the latest result kept the other fixed profile (its whole step beat the base profile's
 * and the choices) does the device run that profile everywhere. Returns the words the header shows.
 */
export function applyTuning(gpu: Gpu, results: readonly TuneResult[]): string {
  const latest = results.at(-1);
  if (!latest) return gpu.profileWhy;
  if (latest.kept !== 'tuned' && latest.kept !== latest.base) {
    gpu.tuning = TUNINGS[latest.kept];
    gpu.layers = undefined;
    return (gpu.profileWhy = latest.why);
  }
  const layers = new Map<string, Tuning>();
  for (const r of results) if (r.kept === 'tuned') for (const [k, t] of Object.entries(r.choices)) layers.set(k, t);
  gpu.tuning = TUNINGS[latest.base];
  gpu.layers = layers.size > 0 ? layers : undefined;
  const nets = [...new Set(results.filter((r) => r.kept === 'tuned').map((r) => `${r.model} batch ${r.batch}`))];
  const also = nets.length > 0 ? `; per-layer choices in effect for ${nets.join(', ')}` : '';
  if (latest.kept !== 'tuned') return (gpu.profileWhy = `${latest.why}${also}`);
  return (gpu.profileWhy = `tuned for this GPU (${nets.join(', ')}); ${latest.why.replace(/^tuned for this GPU: /, '')}`);
}
