// The exported PyTorch script (src/train/torchScript.template.py) as the same run as the engine's, on the shared
// CIFAR-10 subset archive itself, with Debian's torch (CPU): the ports of the app's random numbers agree with the
// TypeScript they copy; the engine's checkpoint evaluates to the engine's test accuracy; from scratch the script
// takes the engine's steps (same weights, batches, crops); a checkpoint carries on either way (the engine continues
// the script's and evaluates it as the script did); two processes under torchrun with synchronised BatchNorm take
// the single process's step; the data is read from the archive, its folder or torchvision's copy, checked, and
// downloaded once under torchrun from a local HTTP server. Needs torch and the archive: skipped without them,
// a failure under CI (.ci/run installs torch; CI has ../shared).
import '../../src/node/dawn'; // first: readCheckpoint's imports read GPUBufferUsage on load
import { afterAll, beforeAll, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { describeWith } from '../support/ci';
import { findTorchPython, NO_TORCH } from '../support/torchPython';
import { encodeCheckpoint, readCheckpoint, type LoadedCheckpoint } from '../../src/train/checkpoint';
import { torchScript } from '../../src/train/torchScript';
import type { RunConfig } from '../../src/train/protocol';
import { EpochSampler } from '../../src/train/sampler';
import { augmentDraw } from '../../src/reference/augment';
import { pickIds } from '../../src/train/subset';
import { trainValIds } from '../../src/train/gpuDataset';
import { buildNetGraph } from '../../src/model/resnet';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { initialState } from '../../src/model/init';
import { decodeSafetensors } from '../../src/model/safetensors';
import { vulkanPlan } from '../../src/node/vulkan';

const repoRoot = resolve(new URL('../..', import.meta.url).pathname);
const archive = process.env.CIFAR10_TARBALL || resolve(repoRoot, '../shared/cifar10/cifar-10-subset-binary.tar.gz');
const python = findTorchPython();
const missing = !python
  ? NO_TORCH
  : existsSync(archive)
    ? undefined
    : `the CIFAR-10 subset ${archive} does not exist (put it at ../shared/cifar10/ or set CIFAR10_TARBALL)`;

const dir = mkdtempSync(join(tmpdir(), 'torch-run-'));
let bundle = '';
let script = '';
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (bundle) rmSync(resolve(bundle, '..'), { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 240_000): Promise<Ran> {
  return new Promise((done) =>
    execFile(cmd, args, { cwd: dir, env: { ...process.env, ...env }, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      done({
        code: err ? ((err as { code?: number }).code ?? -1) : 0,
        stdout,
        // A process still running at the limit is killed (torchrun then exits 1): say so, or a hang reads as a failure.
        stderr: (err as { killed?: boolean } | null)?.killed ? `${stderr}\n[killed: still running after ${timeout / 1000} s]` : stderr,
      }),
    ),
  );
}
/** The JSON lines a run printed on stdout. */
const lines = (r: Ran) =>
  r.stdout
    .split('\n')
    .map((l) => l.replace(/^\[default\d+\]:/, '').trim())
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const last = (r: Ran) => lines(r).at(-1)!;
const ok = (r: Ran, what: string) => expect(r.code, `${what}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`).toBe(0);

const engine = (args: string[]) => run(process.execPath, [bundle, ...args], vulkanPlan().set);
const py = (args: string[], env: NodeJS.ProcessEnv = {}) => run(python!, [script, ...args], env);
async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
/** torchrun --redirects 1 --tee 1 --nproc_per_node 2 (as the module, so it is the same Python). */
async function torchrun(args: string[]): Promise<Ran> {
  const port = await freePort();
  return run(python!, [
    '-m',
    'torch.distributed.run',
    '--redirects',
    '1',
    '--tee',
    '1',
    '--nproc_per_node',
    '2',
    '--master_port',
    String(port),
    script,
    ...args,
  ]);
}
const load = (file: string): LoadedCheckpoint => readCheckpoint(new Uint8Array(readFileSync(join(dir, file))));
/** The largest |a - b| over every tensor (state and momentum) of two checkpoints, and the largest |a|. */
function difference(a: LoadedCheckpoint, b: LoadedCheckpoint): { max: number; scale: number } {
  let max = 0;
  let scale = 0;
  const pairs = [
    ...Object.entries(a.state).map(([k, v]) => [v, b.state[k]]),
    ...Object.entries(a.momentum ?? {}).map(([k, v]) => [v, b.momentum![k]]),
  ];
  for (const [x, y] of pairs) {
    expect(y, 'the same tensors').toBeDefined();
    for (let i = 0; i < x.length; i++) {
      max = Math.max(max, Math.abs(x[i] - y[i]));
      scale = Math.max(scale, Math.abs(x[i]));
    }
  }
  return { max, scale };
}

// The run: ResNet-8 at batch 16 (two processes take 8 each), a constant rate so a length change leaves it alone.
const RUN = ['--depth', '8', '--batch', '16', '--lr', '0.02', '--wd', '5e-4', '--schedule', 'constant', '--steps', '20', '--seed', '3'];
const NAME = 'r8 subset';
const EVAL = '1000'; // test images per evaluation: SwiftShader evaluates about 100 a second
type Summary = { steps: number; test: { loss: number; accuracy: number; images: number }[]; files: { checkpoint: string; json: string } };
let first: Summary;

describeWith(missing, 'the exported PyTorch script as the same run (CIFAR-10 subset, torch on the CPU)', () => {
  beforeAll(async () => {
    mkdirSync('dist-node', { recursive: true });
    const out = mkdtempSync(join(repoRoot, 'dist-node', 'torch-run-'));
    await build({ configFile: 'vite.node.config.ts', logLevel: 'warn', build: { outDir: out, emptyOutDir: false } });
    bundle = join(out, 'engine.mjs');
    const exported = await engine(['torch-script', ...RUN, '--eval-images', EVAL, '--name', NAME, '--out', join(dir, 'r8_subset.py')]);
    ok(exported, 'torch-script');
    script = join(dir, 'r8_subset.py');
    const trained = await engine([
      'train',
      ...RUN,
      '--eval-images',
      EVAL,
      '--name',
      NAME,
      '--data',
      archive,
      '--out',
      join(dir, 'engine'),
      '--no-progress',
    ]);
    ok(trained, 'engine train');
    first = JSON.parse(trained.stdout.trim().split('\n').at(-1)!) as Summary;
    expect(first.steps).toBe(20);
  }, 400_000);

  test("the ports of the app's random numbers (sampler, augmentation draws, class subsets, validation split, initial weights) equal the TypeScript", async () => {
    const ids = Array.from({ length: 90 }, (_, i) => 3 * i + 1);
    const labels = Array.from({ length: 300 }, (_, i) => (i * 7 + (i >> 3)) % 10);
    const models: Record<string, ModelConfig> = {
      resnet8: { arch: 'residual', depth: 8 },
      plain8nobn: { arch: 'plain', depth: 8, batchNorm: false },
      bottleneck11: { arch: 'residual', depth: 11, block: 'bottleneck', shortcut: 'B', width: 8, classes: 4 },
    };
    const driver = String.raw`
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('m', sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
a = json.loads(sys.argv[2])
out = {'orders': [m.epoch_order(a['ids'], 7, e) for e in (0, 1, 9)],
       'draws': [list(m.augment_draws(3, s, range(40), 4, True)) for s in (0, 12345, 2**31 + 5)],
       'picks': [m.pick_ids(a['ids'], a['labels'], c, n) for c, n in (([2, 5, 7], None), ([2, 5, 7], 10), (None, 23))],
       'val': m.Rng(m.VAL_SPLIT_SEED).permutation(500)}
for tag, cfg in a['models'].items():
    model = m.build_model(cfg, seed=11)
    m.write_safetensors(f'{sys.argv[3]}/{tag}.safetensors', {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}, {})
print(json.dumps(out))`;
    const r = await run(python!, ['-c', driver, script, JSON.stringify({ ids, labels, models }), dir]);
    ok(r, 'ports');
    const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      orders: number[][];
      draws: [number[], number[], boolean[]][];
      picks: number[][];
      val: number[];
    };
    // The sampler: every batch of an epoch, in order, is the Python's epoch order.
    const sampler = new EpochSampler(Uint32Array.from(ids), 10, 7);
    [0, 1, 9].forEach((e, k) => {
      const ts = Array.from({ length: sampler.stepsPerEpoch }, (_, s) => [...sampler.indices(e * sampler.stepsPerEpoch + s)]).flat();
      expect(got.orders[k], `epoch ${e}`).toEqual(ts);
    });
    [0, 12345, 2 ** 31 + 5].forEach((step, k) => {
      const ts = Array.from({ length: 40 }, (_, b) => augmentDraw(3, step, b, 4, true));
      expect(got.draws[k]).toEqual([ts.map((d) => d.ox), ts.map((d) => d.oy), ts.map((d) => d.flip)]);
    });
    const lab = Uint8Array.from(labels);
    expect(got.picks[0]).toEqual([...pickIds(Uint32Array.from(ids), lab, { classes: [2, 5, 7] })]);
    expect(got.picks[1]).toEqual([...pickIds(Uint32Array.from(ids), lab, { classes: [2, 5, 7], count: 10 })]);
    expect(got.picks[2]).toEqual([...pickIds(Uint32Array.from(ids), lab, { count: 23 })]);
    const { val } = trainValIds(500, 37);
    expect(got.val.slice(0, 37).sort((x, y) => x - y)).toEqual([...val]);
    // The initial weights: the app's, value for value (both round the same float64 draw to float32).
    for (const [tag, cfg] of Object.entries(models)) {
      const net = buildNetGraph(resolveConfig(cfg), 1, 'eval');
      const want = initialState(net.b.graph, net.stateOrder, 11);
      const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(join(dir, `${tag}.safetensors`))));
      expect(Object.keys(tensors).sort(), tag).toEqual(Object.keys(want).sort());
      for (const [k, v] of Object.entries(want)) expect(tensors[k].data as Float32Array, `${tag} ${k}`).toEqual(v);
    }
  }, 120_000);

  test("the engine's checkpoint: the script evaluates it to the engine's test accuracy on the same images", async () => {
    const r = await py(['--checkpoint', first.files.checkpoint, '--eval-only', '--data', archive]);
    ok(r, 'eval-only');
    const got = last(r) as { step: number; testAcc: number; testLoss: number; images: number };
    const want = first.test[0];
    console.log(`eval-only: script ${got.testAcc} / ${got.testLoss}, engine ${want.accuracy} / ${want.loss} on ${want.images} images`);
    expect(got.step).toBe(20);
    expect(got.images).toBe(want.images);
    expect(got.testAcc).toBe(want.accuracy);
    expect(Math.abs(got.testLoss - want.loss)).toBeLessThan(1e-5);
  }, 120_000);

  test("from scratch the script takes the engine's steps: the same initial weights, batches and crops", async () => {
    const r = await py(['--data', archive, '--log-every', '1', '--eval-images', '10', '--out', join(dir, 'scratch.safetensors')]);
    ok(r, 'from scratch');
    const torch = lines(r).filter((l) => 'trainLoss' in l) as { step: number; trainLoss: number }[];
    const ours = (JSON.parse(readFileSync(first.files.json, 'utf8')) as { metrics: { step: number; trainLoss: number }[] }).metrics;
    expect(torch.map((l) => l.step)).toEqual(ours.map((l) => l.step));
    const gaps = torch.map((l, i) => Math.abs(l.trainLoss - ours[i].trainLoss));
    console.log(`from scratch, |torch - engine| training loss per step: ${gaps.map((g) => g.toExponential(1)).join(' ')}`);
    // Step 1 is the same computation from the same weights and images; float rounding then grows step by step.
    // Another batch would change the loss by about 0.1 (the loss's spread across batches at this point).
    expect(gaps[0]).toBeLessThan(1e-5);
    expect(Math.max(...gaps.slice(0, 5))).toBeLessThan(1e-3);
  }, 120_000);

  test('a checkpoint carries on either way: the engine continues the script and evaluates its checkpoint as the script did', async () => {
    const t = await py([
      '--checkpoint',
      first.files.checkpoint,
      '--data',
      archive,
      '--steps',
      '40',
      '--log-every',
      '1',
      '--save-every',
      '10',
      '--out',
      join(dir, 'torch40.safetensors'),
    ]);
    ok(t, 'script continues');
    // --save-every 10: steps 30 and 40, the last one once (it is also the final checkpoint).
    expect(t.stderr.match(/^saved .* at step \d+$/gm)?.map((l) => l.replace(/.* at /, ''))).toEqual(['step 30', 'step 40']);
    const tEnd = last(t) as { step: number; testAcc: number; testLoss: number };
    expect(tEnd.step).toBe(40);
    const torchSteps = lines(t).filter((l) => 'trainLoss' in l) as { step: number; trainLoss: number }[];
    expect(torchSteps[0].step).toBe(21);
    const e = await engine([
      'train',
      '--checkpoint',
      first.files.checkpoint,
      '--steps',
      '40',
      '--eval-images',
      EVAL,
      '--data',
      archive,
      '--out',
      join(dir, 'engine40'),
      '--no-progress',
    ]);
    ok(e, 'engine continues');
    const eSum = JSON.parse(e.stdout.trim().split('\n').at(-1)!) as Summary;
    expect(eSum.steps).toBe(40);
    const ours = (JSON.parse(readFileSync(eSum.files.json, 'utf8')) as { metrics: { step: number; trainLoss: number }[] }).metrics;
    expect(ours[0].step).toBe(21);
    const gaps = torchSteps.slice(0, 3).map((l, i) => Math.abs(l.trainLoss - ours[i].trainLoss));
    console.log(`continued from step 20, |torch - engine| training loss at steps 21-23: ${gaps.map((g) => g.toExponential(1)).join(' ')}`);
    expect(gaps[0]).toBeLessThan(1e-5);
    expect(Math.max(...gaps)).toBeLessThan(1e-3);
    // The engine loads the script's checkpoint (0 steps left to train) and evaluates it as the script did.
    const back = await engine([
      'train',
      '--checkpoint',
      join(dir, 'torch40.safetensors'),
      '--eval-images',
      EVAL,
      '--data',
      archive,
      '--out',
      join(dir, 'back'),
      '--no-progress',
    ]);
    ok(back, 'engine loads the script checkpoint');
    const bSum = JSON.parse(back.stdout.trim().split('\n').at(-1)!) as Summary;
    expect(bSum.steps).toBe(40);
    expect(load('torch40.safetensors').meta).toMatchObject({ step: 40, name: NAME });
    expect(bSum.test[0].accuracy).toBe(tEnd.testAcc);
    expect(Math.abs(bSum.test[0].loss - tEnd.testLoss)).toBeLessThan(1e-5);
  }, 300_000);

  test('a head-only fine-tune takes the same steps in the script as in the engine: fc moves alike, the rest stays as loaded', async () => {
    // The engine's step-20 weights as a fine-tune source: a run at step 0 that trains fc only (BN frozen), 5 steps.
    const src = load(first.files.checkpoint.slice(dir.length + 1));
    const config: RunConfig = { ...src.meta.config, fineTune: { from: NAME, train: 'head' }, steps: 5 };
    const start = join(dir, 'head-start.safetensors');
    writeFileSync(start, encodeCheckpoint({ config, step: 0, epoch: 0, name: 'r8 head' }, src.state, {}));
    const headScript = join(dir, 'r8_head.py');
    writeFileSync(headScript, torchScript('r8 head', config));
    const common = ['--checkpoint', start, '--data', archive, '--eval-images', '10'];
    const t = await run(python!, [headScript, ...common, '--log-every', '1', '--out', join(dir, 'head-torch.safetensors')]);
    ok(t, 'script head-only');
    const e = await engine(['train', ...common, '--out', join(dir, 'head-engine'), '--no-progress']);
    ok(e, 'engine head-only');
    const eSum = JSON.parse(e.stdout.trim().split('\n').at(-1)!) as Summary;
    expect(eSum.steps).toBe(5);
    const torchSteps = lines(t).filter((l) => 'trainLoss' in l) as { step: number; trainLoss: number }[];
    const ours = (JSON.parse(readFileSync(eSum.files.json, 'utf8')) as { metrics: { step: number; trainLoss: number }[] }).metrics;
    expect(torchSteps.map((l) => l.step)).toEqual([1, 2, 3, 4, 5]);
    const gaps = torchSteps.map((l, i) => Math.abs(l.trainLoss - ours[i].trainLoss));
    console.log(`head-only fine-tune, |torch - engine| training loss per step: ${gaps.map((g) => g.toExponential(1)).join(' ')}`);
    expect(Math.max(...gaps)).toBeLessThan(1e-5); // only fc learns: a linear layer on the same frozen features
    const ck = { torch: load('head-torch.safetensors'), engine: readCheckpoint(new Uint8Array(readFileSync(eSum.files.checkpoint))) };
    for (const [who, c] of Object.entries(ck))
      for (const [name, v] of Object.entries(src.state)) {
        if (name.startsWith('fc.')) expect(c.state[name], `${who}: ${name} trained`).not.toEqual(v);
        else expect(c.state[name], `${who}: ${name} frozen`).toEqual(v);
      }
    const fcMove = Math.max(...ck.engine.state['fc.weight'].map((x, i) => Math.abs(x - src.state['fc.weight'][i])));
    const fcGap = Math.max(...ck.engine.state['fc.weight'].map((x, i) => Math.abs(x - ck.torch.state['fc.weight'][i])));
    console.log(`fc.weight moved up to ${fcMove.toExponential(2)}; torch vs engine ${fcGap.toExponential(2)}`);
    expect(fcGap).toBeLessThan(1e-3 * fcMove);
  }, 300_000);

  test('two processes under torchrun: with synchronised BatchNorm one step on 2x8 images is the step on 16; without, it is not', async () => {
    const one = ['--data', archive, '--steps', '21', '--checkpoint', first.files.checkpoint, '--eval-images', '10'];
    const runs = {
      single64: await py([...one, '--float64', '--out', join(dir, 'single64.safetensors')]),
      sync64: await torchrun([...one, '--float64', '--out', join(dir, 'sync64.safetensors')]),
      nosync64: await torchrun([...one, '--float64', '--no-sync-bn', '--out', join(dir, 'nosync64.safetensors')]),
      single: await py([...one, '--out', join(dir, 'single.safetensors')]),
      sync: await torchrun([...one, '--out', join(dir, 'sync.safetensors')]),
    };
    for (const [k, r] of Object.entries(runs)) ok(r, k);
    type End = { processes: number; syncBatchNorm?: boolean; rankDifference?: { parameters: number; bnStatistics: number } };
    const end = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, last(r) as End]));
    expect(end.sync64).toMatchObject({ processes: 2, syncBatchNorm: true, rankDifference: { parameters: 0, bnStatistics: 0 } });
    expect(end.sync).toMatchObject({ processes: 2, syncBatchNorm: true, rankDifference: { parameters: 0, bnStatistics: 0 } });
    expect(end.nosync64).toMatchObject({ processes: 2, syncBatchNorm: false, rankDifference: { parameters: 0 } });
    expect(end.nosync64.rankDifference!.bnStatistics).toBeGreaterThan(0); // each process kept its own statistics
    const start = load(first.files.checkpoint.slice(dir.length + 1));
    const step = difference(load('single64.safetensors'), start).max; // how far one step moves the state
    const sync64 = difference(load('sync64.safetensors'), load('single64.safetensors'));
    const nosync64 = difference(load('nosync64.safetensors'), load('single64.safetensors'));
    const sync32 = difference(load('sync.safetensors'), load('single.safetensors'));
    console.log(
      `one step (largest change ${step.toExponential(2)}): 2x8 synchronised vs 16, float64 ${sync64.max.toExponential(2)}, float32 ${sync32.max.toExponential(2)}; ` +
        `not synchronised ${nosync64.max.toExponential(2)}`,
    );
    // float64, saved as float32: equal but for the last bit of the rounding.
    expect(sync64.max).toBeLessThanOrEqual(2 * 2 ** -24 * sync64.scale);
    // float32: the sums are taken in another order, and a ReLU input within 1e-6 of zero may fall on the other side
    // (one element's gradient then moves); far inside the gap to the unsynchronised step.
    expect(sync32.max).toBeLessThan(1e-3 * step);
    expect(nosync64.max).toBeGreaterThan(0.05 * step);
  }, 300_000);

  test('a Python without torch: the script says to run it with the Python that has torch', async () => {
    const r = await run(python!, ['-S', script, '--help']); // -S: no site-packages, so no torch: what a pyenv python3 sees
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot import torch');
    expect(r.stderr).toContain('Run this script with the Python that has torch');
  });

  test("the data: the archive's folder and torchvision's Python copy read as the archive; a damaged record is named", async () => {
    const prep = String.raw`
import sys, tarfile, os, pickle, numpy as np
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(src) as t:
    t.extractall(f'{out}/folder')
    batches = {os.path.basename(m.name): t.extractfile(m).read() for m in t.getmembers() if m.isfile() and m.name.endswith('.bin')}
os.makedirs(f'{out}/py/cifar-10-batches-py')
for name, raw in batches.items():
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)
    with open(f'{out}/py/cifar-10-batches-py/{name[:-4]}', 'wb') as f:
        pickle.dump({b'data': rec[:, 1:].copy(), b'labels': rec[:, 0].tolist()}, f)
os.makedirs(f'{out}/bad')
raw = bytearray(batches['test_batch.bin']); raw[3073 * 7] = 10
open(f'{out}/bad/test_batch.bin', 'wb').write(raw); open(f'{out}/bad/data_batch_1.bin', 'wb').write(batches['data_batch_1.bin'])
`;
    ok(await run(python!, ['-c', prep, archive, dir]), 'prepare the copies');
    const evalOn = (data: string) => py(['--checkpoint', first.files.checkpoint, '--eval-only', '--data', data, '--eval-images', '300']);
    const [fromArchive, fromFolder, fromPython, bad, none] = await Promise.all([
      evalOn(archive),
      evalOn(join(dir, 'folder')),
      evalOn(join(dir, 'py')),
      evalOn(join(dir, 'bad')),
      evalOn(join(dir, 'nothing-here')),
    ]);
    for (const [k, r] of Object.entries({ fromArchive, fromFolder, fromPython })) ok(r, k);
    expect(last(fromFolder)).toEqual(last(fromArchive));
    expect(last(fromPython)).toEqual(last(fromArchive));
    expect(fromArchive.stderr).toContain('10000 training and 10000 test images');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/test_batch\.bin, record 7 \(byte 21511\): label 10 is outside 0\.\.9/);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('no CIFAR-10 at');
    expect(none.stderr).toContain('--download');
  }, 180_000);

  test('--download under torchrun: the first process fetches the archive once from 127.0.0.1, the other waits, both read it', async () => {
    const bytes = readFileSync(archive);
    const hits: string[] = [];
    const server: Server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/cifar-10-binary.tar.gz') {
        res.writeHead(200, { 'Content-Length': bytes.length, 'Content-Type': 'application/gzip' });
        res.end(bytes);
      } else if (req.url === '/damaged/cifar-10-binary.tar.gz') {
        res.writeHead(200);
        res.end(bytes.subarray(0, 100_000));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const args = (sub: string, folder: string) => [
        '--checkpoint',
        first.files.checkpoint,
        '--eval-only',
        '--eval-images',
        '300',
        '--download',
        '--data-url',
        `${base}${sub}/cifar-10-binary.tar.gz`,
        '--data',
        join(dir, folder),
      ];
      const fetched = await torchrun(args('', 'fresh'));
      ok(fetched, 'download under torchrun');
      expect(hits).toEqual(['/cifar-10-binary.tar.gz']);
      expect(readFileSync(join(dir, 'fresh', 'cifar-10-binary.tar.gz')).equals(bytes)).toBe(true);
      const direct = await py(['--checkpoint', first.files.checkpoint, '--eval-only', '--eval-images', '300', '--data', archive]);
      expect(last(fetched)).toEqual(last(direct));
      // There already: no second download.
      ok(await py(args('', 'fresh')), 'second time');
      expect(hits).toHaveLength(1);
      // A damaged download or a missing file: a message on every process's behalf, and no process left waiting.
      const damaged = await torchrun(args('/damaged', 'damaged'));
      expect(damaged.code).not.toBe(0);
      expect(damaged.stdout + damaged.stderr).toMatch(/not a readable tar archive|Compressed file ended/);
      const notFound = await torchrun(args('/nowhere', 'nowhere'));
      expect(notFound.code).not.toBe(0);
      expect(notFound.stdout + notFound.stderr).toContain('HTTP Error 404');
      writeFileSync(join(dir, 'hits.json'), JSON.stringify(hits));
    } finally {
      server.close();
    }
  }, 240_000);
});
