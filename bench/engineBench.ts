// The engine benchmark page (driven by scripts/bench.mjs): the shared measurement (src/train/benchmark.ts) of
// each configuration in the browser's WebGPU, or with ?autotune the autotuner against the fixed profiles
// (src/train/autotuneBench.ts); the printed lines collect in window.__bench for the script.
import { createEngine } from '../src/index';
import { benchConfig, benchLines, benchPlan } from '../src/train/benchmark';
import { autotuneBench } from '../src/train/autotuneBench';

declare global {
  interface Window {
    __bench: { lines: string[]; done: boolean; error?: string };
  }
}

const q = new URLSearchParams(location.search);
const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
const autotune = q.has('autotune');
const plan = benchPlan({
  quick: q.has('quick'),
  // The autotuner's default: the ResNet of the depth at batch 32 (8 with --quick).
  batches: q.get('batch')?.split(',').map(Number) ?? (autotune ? [q.has('quick') ? 8 : 32] : undefined),
  models: q.get('models')?.split(',') ?? (autotune ? [`resnet${num('depth') ?? 20}`] : undefined),
  depth: num('depth'),
  steps: num('steps') ?? (autotune ? 6 : undefined), // the autotuner's lines compare speeds within a few percent
  warmup: num('warmup'),
});
window.__bench = { lines: [], done: false };
const out = document.getElementById('out')!;

async function main() {
  const engine = await createEngine();
  for (const c of plan.configs) {
    const lines = autotune
      ? [JSON.stringify(await autotuneBench(engine, c, { steps: plan.steps, warmup: plan.warmup, layers: q.has('layers') }))]
      : benchLines(await benchConfig(engine, c, plan.steps, plan.warmup));
    window.__bench.lines.push(...lines);
    out.textContent += `\n${lines.join('\n')}`;
  }
}

main()
  .catch((e: unknown) => (window.__bench.error = String(e)))
  .finally(() => (window.__bench.done = true));
