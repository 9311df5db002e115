// The engine benchmark page (driven by scripts/bench.mjs): the shared measurement (src/train/benchmark.ts) of
// each configuration in the browser's WebGPU; the printed lines collect in window.__bench for the script.
import { createEngine } from '../src/index';
import { benchConfig, benchLines, benchPlan } from '../src/train/benchmark';

declare global {
  interface Window {
    __bench: { lines: string[]; done: boolean; error?: string };
  }
}

const q = new URLSearchParams(location.search);
const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
const plan = benchPlan({
  quick: q.has('quick'),
  batches: q.get('batch')?.split(',').map(Number),
  depth: num('depth'),
  steps: num('steps'),
  warmup: num('warmup'),
});
window.__bench = { lines: [], done: false };
const out = document.getElementById('out')!;

async function main() {
  const engine = await createEngine();
  for (const c of plan.configs) {
    const lines = benchLines(await benchConfig(engine, c, plan.steps, plan.warmup));
    window.__bench.lines.push(...lines);
    out.textContent += `\n${lines.join('\n')}`;
  }
}

main()
  .catch((e: unknown) => (window.__bench.error = String(e)))
  .finally(() => (window.__bench.done = true));
