// `npm run bench:compare [-- --quick] [--time-limit S] [--frameworks a,b] [--batch 32,128] [--steps N] ...`
// Trains ResNet-20 and plain-20 the same way in our engine, TF.js (WebGPU and WebGL) and jax-js (WebGPU) in
// one headless Chromium session on the same adapter; also inference (BN eval mode) and the three 3x3
// convolution micro-benchmarks, plus the planned peak memory of a ResNet-110 training step. Prints one JSON
// line per configuration (images/s per framework, ours/theirs) and writes a Markdown table to bench/RESULTS.md
// (the section of this mode only: quick and full results live side by side).
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { build, preview } from 'vite';
import { chromium } from 'playwright';
import { chromiumArgs, findChromium } from './chromium.mjs';

const HELP = `usage: npm run bench:compare -- [options]
  --quick               batch 4, fewer steps: a few minutes on SwiftShader
  --time-limit S        stop starting timed steps after S seconds (default: quick 1200, full 10800);
                        the page is closed S + grace seconds after the start whatever it is doing
  --frameworks LIST     subset of ours,jax-webgpu,tfjs-webgl,tfjs-webgpu (default: all, run in this order)
  --models LIST         resnet20,plain20 (any resnetN / plainN with N = 6n+2)
  --batch LIST          training batch sizes (default: quick 4, full 32,128)
  --infer-batch N       inference batch (default: quick 8, full 128)
  --conv-batch N        convolution micro-benchmark batch (default 32)
  --warmup N --steps N  untimed and timed steps per framework (default: 1 and quick 2 / full 3)
  --reps N              convolutions per timed batch (default: quick 2, full 5)
  --lr X                learning rate (default 0.1; momentum 0.9 and weight decay 1e-4 are fixed)
  --only LIST           job kinds: memory,conv,train,infer (default: all)
  --out FILE            Markdown results (default bench/RESULTS.md); --no-write to skip
  --section NAME        write into section NAME of the file instead of the mode's own (e.g. a partial rerun),
                        keeping every other section`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value\n${HELP}`);
  return v;
};
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const num = (name, dflt) => {
  const v = Number(opt(name, dflt));
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
};

const quick = argv.includes('--quick');
const mode = quick ? 'quick' : 'full';
// Run order within a configuration: the slowest peer last, so a time limit cuts it first.
const ALL = ['ours', 'jax-webgpu', 'tfjs-webgl', 'tfjs-webgpu'];
const frameworks = list(opt('frameworks', ALL.join(',')));
for (const f of frameworks) if (!ALL.includes(f)) throw new Error(`unknown framework ${f}; choose from ${ALL.join(', ')}`);
if (!frameworks.includes('ours')) console.error('note: without ours there are no ratios or loss cross-checks');
const timeLimitS = num('time-limit', quick ? 1200 : 10800);
const warmup = num('warmup', 1);
const steps = num('steps', quick ? 2 : 3);
const reps = num('reps', quick ? 2 : 5);
const batches = list(opt('batch', quick ? '4' : '32,128')).map(Number);
const inferBatch = num('infer-batch', quick ? 8 : 128);
const convBatch = num('conv-batch', 32);
const lr = num('lr', 0.1);
const only = list(opt('only', 'memory,conv,train,infer'));
const outFile = opt('out', 'bench/RESULTS.md');
const sectionName = opt('section', mode);
if (!/^[\w.-]+$/.test(sectionName)) throw new Error('--section: letters, digits, dots and dashes only');
const write = !argv.includes('--no-write');
const models = list(opt('models', 'resnet20,plain20')).map((m) => {
  const r = /^(resnet|plain)(\d+)$/.exec(m);
  if (!r) throw new Error(`model ${m}: expected resnetN or plainN`);
  return { arch: r[1] === 'resnet' ? 'residual' : 'plain', depth: Number(r[2]) };
});

// Jobs, most important first (a time limit cuts the tail): memory (no GPU), conv micro-benchmarks, training at
// the first batch, inference, then the remaining batches.
const jobs = [];
if (only.includes('memory')) jobs.push({ bench: 'memory', net: { arch: 'residual', depth: 110 }, batch: 128 });
if (only.includes('conv'))
  for (const kind of ['forward', 'inputGrad', 'weightGrad'])
    jobs.push({ bench: 'conv', kind, n: convBatch, c: 16, h: 32, w: 32, o: 16, reps, warmup, steps });
const train = (batch) => models.map((net) => ({ bench: 'train', net, batch, warmup, steps }));
if (only.includes('train') && batches.length) jobs.push(...train(batches[0]));
if (only.includes('infer')) for (const net of models) jobs.push({ bench: 'infer', net, batch: inferBatch, warmup, steps });
if (only.includes('train')) for (const b of batches.slice(1)) jobs.push(...train(b));

const hyper = { lr, momentum: 0.9, weightDecay: 1e-4 };
const started = Date.now();
const graceS = Math.max(120, timeLimitS * 0.25);
const hardStop = started + (timeLimitS + graceS) * 1000;
const log = (msg) => console.error(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}`);

// The peers are devDependencies; say so plainly rather than failing inside the build.
const missing = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@jax-js/jax'].filter((m) => {
  try {
    createRequire(import.meta.url).resolve(m);
    return false;
  } catch {
    return true;
  }
});
if (missing.length) {
  console.error(`bench:compare needs ${missing.join(', ')} (devDependencies): run \`npm ci\` (or npm install).`);
  process.exit(1);
}

// A production build of the page, served statically: the same bundling the app ships, one copy of every
// dependency, and nothing that reloads the page mid-run (a dev server re-optimises dependencies and watches the tree).
// The engine as built now (the tree may move on during a long run).
const engine = engineVersion();
const outDir = mkdtempSync(join(tmpdir(), 'bench-compare-'));
log('building bench/compare.html');
await build({
  logLevel: 'error',
  build: { outDir, emptyOutDir: true, sourcemap: false, rollupOptions: { input: resolve('bench/compare.html') } },
});
const server = await preview({ logLevel: 'error', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
const port = new URL(server.resolvedUrls.local[0]).port;
// WebGL on SwiftShader needs --enable-unsafe-swiftshader in recent Chromium (the WebGPU flags come from chromium.mjs).
const browser = await chromium.launch({
  executablePath: findChromium(),
  args: [...chromiumArgs, '--enable-unsafe-swiftshader'],
  headless: true,
});
const results = [];
const adapters = {};
const label = (j) =>
  (j.bench === 'conv' ? `conv ${j.kind}` : `${j.bench} ${j.net.arch === 'residual' ? 'resnet' : 'plain'}${j.net.depth}`) +
  ` b${j.batch ?? j.n}`;

/** A result line for a job that never finished (page crash, hard time limit). */
const failed = (j, why) => ({
  bench: j.bench,
  kind: j.kind,
  model: j.bench === 'conv' ? `conv3x3 ${j.c}->${j.o} ${j.h}x${j.w}` : `${j.net.arch === 'residual' ? 'resnet' : 'plain'}${j.net.depth}`,
  batch: j.batch ?? j.n,
  error: Object.fromEntries(frameworks.map((f) => [f, why])),
});

const emit = (r) => {
  results.push(r);
  console.log(JSON.stringify(r));
};

try {
  let next = 0;
  while (next < jobs.length) {
    const leftS = Math.max(0, timeLimitS - (Date.now() - started) / 1000);
    const plan = { frameworks, jobs: jobs.slice(next), hyper, timeLimitS: leftS };
    const page = await browser.newPage();
    let crashed = '';
    page.on('crash', () => (crashed = 'the page crashed'));
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && log(`console: ${m.text().slice(0, 300)}`));
    await page.goto(`http://127.0.0.1:${port}/bench/compare.html?plan=${encodeURIComponent(JSON.stringify(plan))}`);
    let seen = 0;
    let current = '';
    for (;;) {
      let st;
      try {
        st = await page.evaluate(
          () =>
            window.__compare && {
              results: window.__compare.results,
              adapters: window.__compare.adapters,
              done: window.__compare.done,
              error: window.__compare.error,
              current: window.__compare.current,
            },
        );
      } catch (e) {
        crashed ||= `the page stopped answering (${e.message.split('\n')[0]})`;
      }
      if (st) {
        for (; seen < st.results.length; seen++) emit(st.results[seen]);
        Object.assign(adapters, st.adapters);
        if (st.current && st.current !== current) log((current = st.current));
        if (st.done) {
          if (st.error) throw new Error(`benchmark page failed: ${st.error}`);
          break;
        }
      }
      if (crashed) break;
      if (Date.now() > hardStop) {
        crashed = `killed at the hard time limit (${timeLimitS} s + ${graceS.toFixed(0)} s grace)`;
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    next += seen;
    await page.close().catch(() => undefined);
    if (!crashed) continue;
    log(`${crashed} during ${current || label(jobs[next])}`);
    if (next < jobs.length) emit(failed(jobs[next++], `${crashed} (while running ${current || 'this job'})`));
    if (Date.now() > hardStop) {
      for (; next < jobs.length; next++) emit(failed(jobs[next], 'skipped: time limit reached'));
    }
  }
  const env = {
    date: new Date().toISOString(),
    browser: `Chromium ${browser.version()} (headless)`,
    adapters,
    mode,
    engine,
    settings: { warmup, steps, reps, timeLimitS, hyper, frameworks },
    wallS: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify({ bench: 'environment', ...env }));
  if (write) {
    writeResults(outFile, sectionName, markdown(env, results));
    log(`wrote ${outFile} (${sectionName} section)`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(outDir, { recursive: true, force: true });
}

/** The engine's commit (and whether src/ or shaders/ differ from it); BENCH_ENGINE overrides (e.g. an exported tree). */
function engineVersion() {
  if (process.env.BENCH_ENGINE) return process.env.BENCH_ENGINE;
  const git = (...a) => spawnSync('git', a, { encoding: 'utf8' });
  const head = git('log', '-1', '--format=%h %s');
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git('status', '--porcelain', '--', 'src', 'shaders').stdout.trim() ? ' + uncommitted changes in src/ or shaders/' : '';
  return `commit ${head.stdout.trim().slice(0, 100)}${dirty}`;
}

// --- Markdown ---

function markdown(env, rs) {
  const names = { ours: 'ours', 'tfjs-webgpu': 'TF.js WebGPU', 'tfjs-webgl': 'TF.js WebGL', 'jax-webgpu': 'jax-js WebGPU' };
  const peers = ['tfjs-webgpu', 'tfjs-webgl', 'jax-webgpu'].filter((f) => env.settings.frameworks.includes(f)); // table order
  const fmt = (v) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));
  const cell = (r, f) => {
    if (r.imagesPerSec?.[f] !== undefined) return fmt(r.imagesPerSec[f]) + (r.partial?.includes(f) ? '*' : '');
    const e = r.error?.[f];
    return e ? (e.includes('time limit') ? 'time limit' : 'error') : '—';
  };
  const lines = [];
  const title =
    (env.mode === 'quick' ? 'Quick mode (`npm run bench:compare -- --quick`)' : 'Full mode (`npm run bench:compare`)') +
    (sectionName !== env.mode ? `, section ${sectionName} (\`${['npm run bench:compare --', ...argv].join(' ')}\`)` : '');
  lines.push(`## ${title}`, '');
  lines.push(`- Date: ${env.date}`);
  lines.push(`- Browser: ${env.browser}`);
  lines.push(`- Engine: ${env.engine}`);
  for (const [f, a] of Object.entries(env.adapters)) lines.push(`- Adapter (${names[f]}): ${a}`);
  const s = env.settings;
  lines.push(
    `- Training: SGD lr ${s.hyper.lr}, momentum ${s.hyper.momentum}, weight decay ${s.hyper.weightDecay}; BN with batch statistics; softmax cross-entropy; random N(0,1) inputs uploaded once; same initial weights in every framework.`,
  );
  lines.push(
    `- Timing: ${s.warmup} warm-up step(s) (compilation) excluded, then the median of ${s.steps} timed steps, each until its loss is read back; convolutions: ${s.reps} per timed batch. Time limit ${s.timeLimitS} s; the run took ${env.wallS} s.`,
  );
  lines.push('');
  const cols = ['ours', ...peers];
  lines.push(
    `| benchmark | batch | ${cols.map((f) => `${names[f]} img/s`).join(' | ')} | ${peers.map((f) => `ours / ${names[f]}`).join(' | ')} |`,
  );
  lines.push(`|---|---:|${cols.map(() => '---:').join('|')}|${peers.map(() => '---:').join('|')}|`);
  for (const r of rs.filter((x) => x.bench !== 'memory')) {
    const what = r.bench === 'conv' ? `conv ${r.kind} (${r.model})` : `${r.bench === 'train' ? 'train' : 'inference'} ${r.model}`;
    lines.push(
      `| ${what} | ${r.batch} | ${cols.map((f) => cell(r, f)).join(' | ')} | ${peers.map((f) => (r.ratio?.[f] === undefined ? '—' : `${fmt(r.ratio[f])}x`)).join(' | ')} |`,
    );
  }
  lines.push('');
  if (rs.some((r) => r.partial?.length)) lines.push('\\* stopped early by the time limit (median of the steps that finished).', '');

  const split = rs.filter((r) => r.kernels?.ours);
  if (split.length) {
    lines.push('### Where our convolution time goes (GPU time per dispatch of one op, timestamp queries)', '');
    for (const r of split)
      lines.push(
        `- ${r.kind}: ${r.kernels.ours.map((k) => `${k.label.replace(/^compare\.conv\./, '')} ${k.ms.toFixed(1)} ms`).join(', ')}`,
      );
    lines.push('');
  }

  // Targets of issue 5.
  const target = [];
  for (const r of rs.filter((x) => x.bench === 'train' || x.bench === 'infer')) {
    const want = r.bench === 'train' ? { 'tfjs-webgpu': 5, 'jax-webgpu': 2 } : { 'tfjs-webgpu': 3 };
    for (const [f, k] of Object.entries(want)) {
      const got = r.ratio?.[f];
      if (got === undefined) continue;
      target.push(`- ${r.bench} ${r.model} b${r.batch} vs ${names[f]}: ${fmt(got)}x (target ${k}x): ${got >= k ? 'met' : 'NOT met'}`);
    }
  }
  if (target.length)
    lines.push(`### Targets (issue 5${env.mode === 'quick' ? '; quick batch sizes, so indicative only' : ''})`, '', ...target, '');

  const checks = rs.filter((r) => r.check);
  if (checks.length) {
    lines.push('### Sanity (same weights and data: every framework must start at our loss and, training, go down)', '');
    for (const r of checks) {
      const parts = Object.entries(r.check).map(
        ([f, c]) => `${names[f]}: ${c}${r.losses?.[f] ? ` (${r.losses[f].map((l) => l.toFixed(4)).join(' → ')})` : ''}`,
      );
      lines.push(`- ${r.bench} ${r.model} b${r.batch}: ${parts.join('; ')}`);
    }
    lines.push('');
  }

  const mem = rs.find((r) => r.bench === 'memory')?.memory;
  if (mem) {
    const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    lines.push('### Peak GPU memory of a ResNet-110 training step, batch 128 (from the planner)', '');
    lines.push(
      `- Planned: ${mib(mem.peakGpuBytes)} = activations ${mib(mem.plannedActivationBytes)} in ${mem.slots} slots (im2col column buffers included, as the explicit convolution path needs them) + persistent ${mib(mem.persistentBytes)} (parameters, gradients, momentum, BN statistics, inputs)`,
    );
    lines.push(
      `- Planned with implicit convolutions (no column buffers): ${mib(mem.plannedActivationBytesImplicit + mem.persistentBytes)} (activations ${mib(mem.plannedActivationBytesImplicit)})`,
    );
    lines.push(
      `- Naive (one buffer per tensor): ${mib(mem.naiveGpuBytes)} = activations ${mib(mem.naiveActivationBytes)} + the same persistent ${mib(mem.persistentBytes)}`,
    );
    lines.push(
      `- Ratio naive / planned: ${mem.ratio.toFixed(2)}x total, ${(mem.naiveActivationBytes / mem.plannedActivationBytes).toFixed(2)}x activations (target 2x)`,
      '',
    );
  }

  // One line per (configuration, message): a run skipped in every framework is one line.
  const errors = rs.flatMap((r) => {
    const byMsg = new Map();
    for (const [f, e] of Object.entries(r.error ?? {})) {
      const msg = e.split('\n')[0].slice(0, 300);
      byMsg.set(msg, [...(byMsg.get(msg) ?? []), names[f]]);
    }
    return [...byMsg].map(
      ([msg, fs]) =>
        `- ${r.bench} ${r.kind ?? r.model} b${r.batch} (${fs.length === env.settings.frameworks.length ? 'all' : fs.join(', ')}): ${msg}`,
    );
  });
  if (errors.length) lines.push('### Errors and skipped runs', '', ...errors, '');
  return lines.join('\n');
}

/** Replaces one section of the results file (between markers: the mode's, or --section's), keeping the others. */
function writeResults(file, m, body) {
  const head = `# Side-by-side benchmark: ResNet Playground vs TensorFlow.js and jax-js

Written by \`scripts/bench-compare.mjs\` (\`npm run bench:compare\`, \`-- --quick\` for the short run, \`-- --help\`
for the options); each mode (or \`--section\`) replaces only its own section. One JSON line per configuration goes to stdout too.

How the peers are written (bench/peers/): every framework gets the same state dict (our seeded initialiser,
PyTorch names), the same images and labels, and trains with the same recipe, each in its own idiom:
TF.js in NHWC (its native layout) with \`tf.variableGrads\`, \`tf.moments\` + \`tf.batchNorm\` and default backend
flags; jax-js in NCHW with the whole step (forward, \`valueAndGrad\`, SGD, BN running update) under one \`jit\`.
Option-A shortcuts subsample by reshape + slice (neither peer has a strided-slice gradient). The sanity lines
check that every framework starts at our loss and, after one SGD step, reaches the same second loss.
Known: at batch 4, plain-20's second loss differs between {ours, jax-js} and {both TF.js backends}. Comparing our
gradients with TF.js WebGL's parameter by parameter, they agree to 1e-5 from the head down to layer2.2.bn2; the
difference enters at layer2.2.bn1.bias while layer2.2.bn1.weight agrees, so most likely through elements whose
normalised value is about 0 at the following ReLU (a tie that rounding decides). At batch 32 and 128 all four agree.
jax-js is lazy: its convolution micro-benchmark keeps every rep's output until all of them are ready, because
disposing an output that was never realised cancels its computation (an earlier version of this script disposed
each rep's output before the next and so timed only the last rep of each batch: jax-js looked 2x faster than ours).
`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  // Every section already there, in file order; this one replaced in place or, when new, added after 'full'.
  const sections = [...old.matchAll(/<!-- mode:([\w.-]+) -->[\s\S]*?<!-- \/mode:\1 -->/g)].map((r) => ({ key: r[1], text: r[0] }));
  const mine = { key: m, text: `<!-- mode:${m} -->\n${body}\n<!-- /mode:${m} -->` };
  const at = sections.findIndex((x) => x.key === m);
  if (at >= 0) sections[at] = mine;
  else if (m === 'full') sections.unshift(mine);
  else if (m === 'quick') sections.push(mine);
  else sections.splice(sections.findIndex((x) => x.key === 'full') + 1, 0, mine);
  writeFileSync(file, `${head}\n${sections.map((x) => x.text).join('\n\n')}\n`);
}
