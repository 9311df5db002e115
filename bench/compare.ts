// The side-by-side benchmark page (driven by scripts/bench-compare.mjs): in one browser session, on the same
// adapter, runs every job of the plan in our engine, TF.js (WebGPU, WebGL) and jax-js (WebGPU) one framework at
// a time, and publishes one result per job in window.__compare. A framework that fails to start or fails a job
// gets an error for that job and the rest continues; past the deadline the remaining jobs are skipped.
import { buildNetGraph } from '../src/model/resnet';
import { resolveConfig } from '../src/model/config';
import { initialState } from '../src/model/init';
import { Rng } from '../src/util/rng';
import { plannedMemory, type MemoryReport } from './compareMemory';
import { ours } from './compareOurs';
import { tfjsPeer } from './peers/tfjs';
import { jaxPeer } from './peers/jax';
import type { NetSpec } from './peers/arch';
import { median, type ConvKind, type Framework, type FrameworkId, type Hyper, type Timing } from './compareTypes';

export type Job =
  | { bench: 'train' | 'infer'; net: NetSpec; batch: number; warmup: number; steps: number }
  | { bench: 'conv'; kind: ConvKind; n: number; c: number; h: number; w: number; o: number; reps: number; warmup: number; steps: number }
  | { bench: 'memory'; net: NetSpec; batch: number };

export interface Plan {
  frameworks: FrameworkId[];
  jobs: Job[];
  hyper: Hyper;
  /** Seconds from page start after which no new timed step starts. */
  timeLimitS: number;
}

type PerFramework<T> = Partial<Record<FrameworkId, T>>;

export interface JobResult {
  bench: Job['bench'];
  model?: string;
  kind?: ConvKind;
  batch: number;
  imagesPerSec?: PerFramework<number>;
  msPerStep?: PerFramework<number>;
  /** ours / theirs, images per second. */
  ratio?: PerFramework<number>;
  steps?: PerFramework<number>;
  warmupMs?: PerFramework<number>;
  losses?: PerFramework<number[]>;
  /** Sanity of each framework's losses: same start as ours (same weights and data) and, for training, decreasing. */
  check?: PerFramework<string>;
  partial?: FrameworkId[];
  /** GPU time per dispatch of one op (ours, convolution micro-benchmarks). */
  kernels?: PerFramework<{ label: string; ms: number }[]>;
  error?: PerFramework<string>;
  memory?: MemoryReport;
}

declare global {
  interface Window {
    __compare: { results: JobResult[]; adapters: PerFramework<string>; done: boolean; error?: string; current?: string };
  }
}

const plan: Plan = JSON.parse(new URLSearchParams(location.search).get('plan') ?? '{}');
const deadline = performance.now() + plan.timeLimitS * 1000;
const state = (window.__compare = { results: [] as JobResult[], adapters: {}, done: false } as Window['__compare']);
const out = document.getElementById('out')!;

const makers: Record<FrameworkId, () => Framework> = {
  ours,
  'tfjs-webgpu': () => tfjsPeer('webgpu'),
  'tfjs-webgl': () => tfjsPeer('webgl'),
  'jax-webgpu': jaxPeer,
};

/** Frameworks start on first use; a failed start is remembered and reported for every later job. */
const started = new Map<FrameworkId, Promise<Framework>>();
function framework(id: FrameworkId): Promise<Framework> {
  let p = started.get(id);
  if (!p) {
    p = (async () => {
      const f = makers[id]();
      state.adapters[id] = await f.init();
      return f;
    })();
    started.set(id, p);
  }
  return p;
}

const modelName = (n: NetSpec) => `${n.arch === 'residual' ? 'resnet' : 'plain'}${n.depth}`;

/** Same inputs for every framework: N(0,1) images, uniform labels (engine benchmark's generator and seed). */
function inputs(batch: number) {
  const rng = new Rng(1);
  const images = new Float32Array(batch * 3 * 32 * 32).map(() => rng.normal());
  const labels = Int32Array.from({ length: batch }, () => rng.int(10));
  return { images, labels };
}

/** Our engine's seeded initial state (PyTorch names): every framework starts from these weights. */
const initial = (n: NetSpec) => {
  const t = buildNetGraph(resolveConfig({ arch: n.arch, depth: n.depth }), 1, 'train');
  return initialState(t.b.graph, t.stateOrder, 0);
};

/**
 * Same weights, same data, same recipe: the first loss (forward) and the second (after one SGD step: gradients
 * and update) must match ours to float32 noise; training losses must go down. Later steps may drift apart.
 */
function lossCheck(bench: 'train' | 'infer', losses: number[] | undefined, ref: number[] | undefined): string {
  if (!losses?.length) return 'no losses';
  if (!losses.every(Number.isFinite)) return `non-finite loss: ${losses.join(', ')}`;
  const problems: string[] = [];
  if (ref?.length) {
    const n = Math.min(bench === 'train' ? 2 : 1, losses.length, ref.length);
    for (let i = 0; i < n; i++) {
      if (Math.abs(losses[i] - ref[i]) > 2e-3 * Math.max(1, Math.abs(ref[i])))
        problems.push(`loss ${i + 1} is ${losses[i].toFixed(5)}, ours ${ref[i].toFixed(5)}`);
    }
  }
  if (bench === 'train' && losses.length > 1 && !(losses[losses.length - 1] < losses[0]))
    problems.push(`loss not decreasing: ${losses.map((l) => l.toFixed(4)).join(' -> ')}`);
  return problems.length ? problems.join('; ') : 'ok';
}

async function runJob(job: Job): Promise<JobResult> {
  if (job.bench === 'memory')
    return {
      bench: 'memory',
      model: modelName(job.net),
      batch: job.batch,
      memory: plannedMemory({ arch: job.net.arch, depth: job.net.depth }, job.batch),
    };
  const r: JobResult =
    job.bench === 'conv'
      ? { bench: 'conv', kind: job.kind, model: `conv3x3 ${job.c}->${job.o} ${job.h}x${job.w}`, batch: job.n }
      : { bench: job.bench, model: modelName(job.net), batch: job.batch };
  const data = job.bench === 'conv' ? undefined : { ...inputs(job.batch), state: initial(job.net) };
  const timings: PerFramework<Timing> = {};
  for (const id of plan.frameworks) {
    state.current = `${r.bench} ${r.kind ?? r.model} b${r.batch}: ${id}`;
    try {
      if (performance.now() > deadline) {
        (r.error ??= {})[id] = 'skipped: time limit reached';
        continue;
      }
      const f = await framework(id);
      if (job.bench === 'conv') timings[id] = await f.conv({ ...job, deadline });
      else if (job.bench === 'train')
        timings[id] = await f.train({
          net: job.net,
          batch: job.batch,
          warmup: job.warmup,
          steps: job.steps,
          hyper: plan.hyper,
          deadline,
          ...data!,
        });
      else timings[id] = await f.infer({ net: job.net, batch: job.batch, warmup: job.warmup, steps: job.steps, deadline, ...data! });
    } catch (e) {
      (r.error ??= {})[id] = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
  }
  const batch = r.batch;
  for (const [id, t] of Object.entries(timings) as [FrameworkId, Timing][]) {
    const ms = median(t.ms);
    (r.msPerStep ??= {})[id] = +ms.toFixed(3);
    (r.imagesPerSec ??= {})[id] = +(batch / (ms / 1000)).toFixed(3);
    (r.steps ??= {})[id] = t.ms.length;
    (r.warmupMs ??= {})[id] = Math.round(t.warmupMs);
    if (t.partial) (r.partial ??= []).push(id);
    if (t.losses) (r.losses ??= {})[id] = t.losses.map((l) => +l.toFixed(6));
    if (t.kernels) (r.kernels ??= {})[id] = t.kernels;
  }
  const mine = r.imagesPerSec?.ours;
  for (const id of plan.frameworks) {
    const theirs = r.imagesPerSec?.[id];
    if (id !== 'ours' && mine && theirs) (r.ratio ??= {})[id] = +(mine / theirs).toFixed(3);
    if (job.bench !== 'conv' && timings[id])
      (r.check ??= {})[id] = lossCheck(job.bench, timings[id].losses, id === 'ours' ? undefined : timings.ours?.losses);
  }
  return r;
}

async function main() {
  for (const job of plan.jobs) {
    const r = await runJob(job);
    state.results.push(r);
    out.textContent += `\n${JSON.stringify(r)}`;
  }
  for (const p of started.values()) await p.then((f) => f.dispose()).catch(() => undefined);
}

main()
  .catch((e: unknown) => (state.error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)))
  .finally(() => (state.done = true));
