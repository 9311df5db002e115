// The engine benchmark page (driven by scripts/bench.mjs): for each configuration, build the network,
// run warm-up steps, then timed training steps (each until its loss is read back), and report the median.
import { buildNetwork, createEngine } from '../src/index';
import type { ModelConfig } from '../src/model/config';
import { Rng } from '../src/util/rng';
import { modelStepCost } from '../src/runtime/network';
import { summarise } from '../src/runtime/costModel';

export interface BenchConfig {
  model: string;
  config: ModelConfig;
  batch: number;
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
  error?: string;
}

declare global {
  interface Window {
    __bench: { results: BenchResult[]; done: boolean; error?: string };
  }
}

const q = new URLSearchParams(location.search);
const configs: BenchConfig[] = JSON.parse(q.get('configs') ?? '[]');
const warmup = Number(q.get('warmup') ?? 1);
const steps = Number(q.get('steps') ?? 3);
window.__bench = { results: [], done: false };
const out = document.getElementById('out')!;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function benchOne(engine: Awaited<ReturnType<typeof createEngine>>, c: BenchConfig): Promise<BenchResult> {
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
    };
  } finally {
    net.destroy();
  }
}

async function main() {
  const engine = await createEngine();
  for (const c of configs) {
    let r: BenchResult;
    try {
      r = await benchOne(engine, c);
    } catch (e) {
      r = { model: c.model, batch: c.batch, imagesPerSec: 0, msPerStep: 0, steps: 0, peakGpuBytes: 0, naiveActivationBytes: 0, adapter: engine.adapterName, error: String(e) };
    }
    window.__bench.results.push(r);
    out.textContent += `\n${JSON.stringify(r)}`;
  }
}

main()
  .catch((e) => (window.__bench.error = String(e)))
  .finally(() => (window.__bench.done = true));
