// The engine benchmark's measurement, shared by the browser page (bench/engineBench.ts, driven by
// scripts/bench.mjs) and Node (src/node/bench.ts, `npm run bench:node`): for each configuration, build the
// network, run warm-up steps, then timed training steps (each until its loss is read back), and report the
// median, the planned GPU memory, the static cost model of the step under both tuning profiles, and, where the
// adapter has timestamp queries, a per-kernel breakdown.
import { buildNetwork, type Engine, type ModelConfig } from '../index';
import { modelStepCost } from '../runtime/network';
import { summarise } from '../runtime/costModel';
import { Rng } from '../util/rng';

export interface BenchConfig {
  model: string;
  config: ModelConfig;
  batch: number;
  /** Also time eval-mode inference (forward only, logits read back) at this batch. */
  inferBatch?: number;
}

export interface BenchResult {
  model: string;
  batch: number;
  imagesPerSec: number;
  msPerStep: number;
  steps: number;
  peakGpuBytes: number;
  naiveActivationBytes: number;
  adapter: string;
  kernels?: { kind: string; ms: number; count: number }[];
  /** The static cost model of one training step (src/runtime/costModel.ts) as each tuning profile would run it. */
  costModel?: Record<'gpu' | 'cpu', ReturnType<typeof summarise>>;
  /** Eval-mode inference, when the configuration asked for it. */
  infer?: { batch: number; imagesPerSec: number; msPerBatch: number; error?: string };
  error?: string;
}

export interface BenchOptions {
  /** Small batches and fewer steps: a smoke run. */
  quick?: boolean;
  batches?: number[];
  depth?: number;
  steps?: number;
  warmup?: number;
  /** Networks by name (resnet20, plain56, resnet110, ...) instead of the ResNet and plain net of `depth`. */
  models?: string[];
  /** Also time inference at this batch for every network (once per network, with its first batch size). */
  inferBatch?: number;
}

/** A network's name as the benchmark prints it (resnet20, plain56) as a model config; undefined when it is not one. */
export function parseModelName(name: string): ModelConfig | undefined {
  const m = /^(resnet|plain)(\d+)$/.exec(name);
  return m ? { arch: m[1] === 'resnet' ? 'residual' : 'plain', depth: Number(m[2]) } : undefined;
}

/** The configurations and step counts of a benchmark run: ResNet and plain nets of `depth` at each batch size. */
export function benchPlan(o: BenchOptions = {}): { configs: BenchConfig[]; steps: number; warmup: number } {
  const batches = o.batches ?? (o.quick ? [4, 8] : [32, 128]);
  const depth = o.depth ?? 20;
  const configs: BenchConfig[] = [];
  const models = o.models ?? ['resnet', 'plain'].map((a) => `${a}${depth}`);
  for (const model of models) {
    const config = parseModelName(model);
    if (!config) throw new RangeError(`benchPlan: '${model}' is not a network name like resnet20 or plain56`);
    batches.forEach((batch, i) => configs.push({ model, config, batch, ...(o.inferBatch && i === 0 ? { inferBatch: o.inferBatch } : {}) }));
  }
  return { configs, steps: o.steps ?? (o.quick ? 2 : 3), warmup: o.warmup ?? 1 };
}

/** The printed form of a result: one JSON line, and a second with the kernel breakdown when there is one. */
export function benchLines(r: BenchResult): string[] {
  const { kernels, ...line } = r;
  return kernels
    ? [JSON.stringify(line), JSON.stringify({ model: line.model, batch: line.batch, kernelMs: kernels })]
    : [JSON.stringify(line)];
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** Measures one configuration; a failure (out of memory, say) becomes a result with `error` set. */
export async function benchConfig(engine: Engine, c: BenchConfig, steps: number, warmup: number): Promise<BenchResult> {
  try {
    return await measure(engine, c, steps, warmup);
  } catch (e) {
    return {
      model: c.model,
      batch: c.batch,
      imagesPerSec: 0,
      msPerStep: 0,
      steps: 0,
      peakGpuBytes: 0,
      naiveActivationBytes: 0,
      adapter: engine.adapterName,
      error: String(e),
    };
  }
}

async function measure(engine: Engine, c: BenchConfig, steps: number, warmup: number): Promise<BenchResult> {
  const net = await buildNetwork(engine, c.config, { batchSize: c.batch, seed: 0 });
  try {
    const rng = new Rng(1);
    const images = new Float32Array(c.batch * 3 * 32 * 32).map(() => rng.normal());
    const labels = Int32Array.from({ length: c.batch }, () => rng.int(10));
    const hyper = { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 };
    for (let i = 0; i < warmup; i++) await net.trainStep(images, labels, hyper);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await net.trainStep(images, labels, hyper);
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    const mem = net.memory();
    const profile = await net.profileTrainStep(images, labels, hyper);
    let kernels: BenchResult['kernels'];
    if (profile) {
      const byKind = new Map<string, { ms: number; count: number }>();
      for (const k of profile) {
        const kind = k.label.split(' ')[0];
        const e = byKind.get(kind) ?? { ms: 0, count: 0 };
        e.ms += k.ms;
        e.count++;
        byKind.set(kind, e);
      }
      kernels = [...byKind].map(([kind, e]) => ({ kind, ms: +e.ms.toFixed(3), count: e.count })).sort((a, b) => b.ms - a.ms);
    }
    const costModel = {
      gpu: summarise(await modelStepCost(engine.gpu, c.config, c.batch, 'gpu')),
      cpu: summarise(await modelStepCost(engine.gpu, c.config, c.batch, 'cpu')),
    };
    return {
      model: c.model,
      batch: c.batch,
      imagesPerSec: +(c.batch / (ms / 1000)).toFixed(2),
      msPerStep: +ms.toFixed(1),
      steps,
      peakGpuBytes: mem.persistentBytes + mem.activationBytes,
      naiveActivationBytes: mem.naiveActivationBytes,
      adapter: engine.adapterName,
      kernels,
      costModel,
      ...(c.inferBatch ? { infer: await measureInference(engine, c, c.inferBatch, steps, warmup) } : {}),
    };
  } finally {
    net.destroy();
  }
}

/** Eval-mode forward passes (logits read back each time) of a network built for `batch`; the median. */
async function measureInference(
  engine: Engine,
  c: BenchConfig,
  batch: number,
  steps: number,
  warmup: number,
): Promise<NonNullable<BenchResult['infer']>> {
  try {
    const net = await buildNetwork(engine, c.config, { batchSize: batch, seed: 0 });
    try {
      const rng = new Rng(2);
      const images = new Float32Array(batch * 3 * 32 * 32).map(() => rng.normal());
      const labels = Int32Array.from({ length: batch }, () => rng.int(10));
      for (let i = 0; i < warmup; i++) await net.forward(images, labels, { bnMode: 'eval' });
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        await net.forward(images, labels, { bnMode: 'eval' });
        times.push(performance.now() - t0);
      }
      const ms = median(times);
      return { batch, imagesPerSec: +(batch / (ms / 1000)).toFixed(2), msPerBatch: +ms.toFixed(2) };
    } finally {
      net.destroy();
    }
  } catch (e) {
    return { batch, imagesPerSec: 0, msPerBatch: 0, error: String(e) };
  }
}
