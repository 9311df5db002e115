// "Export as PyTorch script" (src/train/torchScript.ts): the generated script, run by a Python that has torch
// (Debian's python3-torch here, CPU), loads a checkpoint in our format and gives (1) the float64 interpreter's
// eval-mode logits for the same graph, state and images to 1e-4, for three architectures; the state is not the
// initial one: BN gamma/beta and running statistics are drawn too, so eval mode's use of the running statistics
// is checked; (2) the engine's own eval-mode logits (Node bundle on Dawn) from a checkpoint the engine wrote after
// two training steps. Skipped, saying so, where no Python with torch is found.
// First: WebGPU's globals (readCheckpoint's imports reach src/gpu/buffers.ts, which reads GPUBufferUsage on load).
import '../../src/node/dawn';
import { afterAll, describe, expect, test } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { findTorchPython, NO_TORCH } from '../support/torchPython';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'vite';
import { vulkanPlan } from '../../src/node/vulkan';
import { CI } from '../support/ci';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNetGraph } from '../../src/model/resnet';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { initialState } from '../../src/model/init';
import { interpret, type Values } from '../../src/graph/interpret';
import { stateLayout } from '../../src/model/stateLayout';
import { encodeSafetensors, type Tensor } from '../../src/model/safetensors';
import { CHECKPOINT_FORMAT, readCheckpoint } from '../../src/train/checkpoint';
import { torchScript, torchScriptFileName } from '../../src/train/torchScript';
import type { RunConfig } from '../../src/train/protocol';
import { Rng } from '../../src/util/rng';

const python = findTorchPython();
// .ci/run installs Debian's torch: under CI its absence is a failure, not a skip.
if (!python && CI) throw new Error(`CI run: ${NO_TORCH}. Under CI this is a failure, not a skip.`);
if (!python) console.warn(`SKIP torchScript: ${NO_TORCH}`);

const dir = mkdtempSync(join(tmpdir(), 'torch-script-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recipe = (model: ModelConfig): RunConfig => ({
  model,
  batchSize: 128,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 1e-4,
  schedule: 'step',
  warmupSteps: 0,
  steps: 64000,
  seed: 3,
  augment: true,
  valCount: 0,
  evalEvery: 0,
  evalImages: 0,
  evalBnModes: ['eval'],
});

const BATCH = 3;

/** Writes the checkpoint and images of one case; returns the interpreter's eval-mode logits. */
function prepare(tag: string, model: ModelConfig, name: string): { logits: number[]; script: string } {
  const cfg = resolveConfig(model);
  const net = buildNetGraph(cfg, BATCH, 'eval');
  const state = initialState(net.b.graph, net.stateOrder, 11);
  const rng = new Rng(5);
  for (const [k, a] of Object.entries(state)) {
    if (k.endsWith('running_mean') || (k.includes('bn') && k.endsWith('.bias')) || /(shortcut|downsample)\.1\.bias/.test(k))
      a.forEach((_, i) => (a[i] = 0.2 * rng.normal()));
    else if (k.endsWith('running_var')) a.forEach((_, i) => (a[i] = rng.uniform(0.5, 1.5)));
    else if (!k.includes('conv') && !k.startsWith('fc') && !/(shortcut|downsample)\.0/.test(k) && k.endsWith('.weight'))
      a.forEach((_, i) => (a[i] = rng.uniform(0.7, 1.3)));
  }
  const tensors: Record<string, Tensor> = {};
  for (const e of stateLayout(cfg)) tensors[e.name] = { dtype: 'F32', shape: e.shape, data: state[e.name] };
  const config = recipe(model);
  const bytes = encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, runConfig: JSON.stringify(config), step: '0', epoch: '0', name });
  expect(Object.keys(readCheckpoint(bytes).state).sort()).toEqual(Object.keys(state).sort()); // the app loads it
  writeFileSync(join(dir, `${tag}.safetensors`), bytes);
  const images = new Float32Array(BATCH * 3 * 32 * 32).map(() => rng.normal());
  writeFileSync(join(dir, `${tag}.f32`), images);
  const script = torchScriptFileName(name);
  writeFileSync(join(dir, script), torchScript(name, config));

  const v: Values = new Map();
  for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
  v.set(net.images, Float64Array.from(images));
  v.set(net.labels, new Float64Array(BATCH));
  interpret(net.b.graph, v, new Set(['forward']));
  return { logits: Array.from(v.get(net.logits)!), script };
}

const EVAL_DRIVER = String.raw`
import importlib.util, json, sys, torch
spec = importlib.util.spec_from_file_location('m', sys.argv[2])
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model = mod.build_model()
step, meta = mod.load_checkpoint(model, f'{sys.argv[1]}/engine.safetensors')
x = torch.frombuffer(bytearray(open(f'{sys.argv[1]}/engine.f32', 'rb').read()), dtype=torch.float32).reshape(-1, 3, 32, 32)
model.eval()
with torch.no_grad():
    print(json.dumps({'step': step, 'logits': model(x).flatten().tolist()}))
`;

// One Python process for all cases (torch's import is most of the time).
const DRIVER = String.raw`
import importlib.util, json, sys, torch
out = {}
for tag, script in json.loads(sys.argv[2]).items():
    spec = importlib.util.spec_from_file_location(tag, f'{sys.argv[1]}/{script}')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    model = mod.build_model()
    step, meta = mod.load_checkpoint(model, f'{sys.argv[1]}/{tag}.safetensors')
    x = torch.frombuffer(bytearray(open(f'{sys.argv[1]}/{tag}.f32', 'rb').read()), dtype=torch.float32).reshape(-1, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        out[tag] = model(x).flatten().tolist()
import contextlib, io
# Its training loop (CIFAR-10 replaced by random images: no data files needed) writes a checkpoint.
spec = importlib.util.spec_from_file_location('train', f'{sys.argv[1]}/resnet_8_run.py')
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
mod.RUN_CONFIG['batchSize'] = 4
def fake(root):
    g = torch.Generator().manual_seed(0)
    mk = lambda n: (torch.randint(0, 256, (n, 3072), generator=g, dtype=torch.uint8), torch.randint(0, 10, (n,), generator=g, dtype=torch.uint8))
    return {'train': mk(12), 'test': mk(4)}, 'random images'
mod.load_cifar10 = fake
root = sys.argv[1]
sys.argv = ['x', '--steps', '3', '--device', 'cpu', '--out', f'{root}/from-torch.safetensors']
with contextlib.redirect_stdout(io.StringIO()):
    mod.main()
# A head-only fine-tune of that checkpoint (on 10 classes: every tensor loads, fc too, at step 0): two steps.
mod.RUN_CONFIG['fineTune'] = {'from': 'resnet-8 run', 'train': 'head'}
sys.argv = ['x', '--checkpoint', f'{root}/from-torch.safetensors', '--steps', '2', '--device', 'cpu', '--out', f'{root}/head-only.safetensors']
with contextlib.redirect_stdout(io.StringIO()):
    mod.main()
# The script as a program: its --help (argparse exits after printing it).
help_text = io.StringIO()
sys.argv = [script, '--help']
with contextlib.redirect_stdout(help_text):
    try:
        mod.main()
    except SystemExit:
        pass
print(json.dumps({'logits': out, 'help': help_text.getvalue()}))
`;

describe.skipIf(!python)('Export as PyTorch script', () => {
  test('ResNet-8 (A), plain-8 without BN, bottleneck ResNet-11 (B), ResNet-18/-50 and plain-34 of the ImageNet family: the script reproduces our eval-mode logits to 1e-4; its training loop writes a checkpoint the app loads; it runs as a program', () => {
    const cases = {
      resnet8: prepare('resnet8', { arch: 'residual', depth: 8 }, 'resnet-8 run'),
      plain8: prepare('plain8', { arch: 'plain', depth: 8, batchNorm: false }, 'plain-8'),
      bottleneck11: prepare('bottleneck11', { arch: 'residual', depth: 11, block: 'bottleneck', shortcut: 'B', width: 8 }, '11-bottleneck'),
      // The ImageNet family (torchvision's module names): the 7x7 stem and max-pool, the paper's 1x1 stride, a plain twin.
      resnet18: prepare('resnet18', { family: 'imagenet', arch: 'residual', depth: 18, width: 4, classes: 10 }, 'resnet-18'),
      resnet50: prepare(
        'resnet50',
        { family: 'imagenet', arch: 'residual', depth: 50, width: 2, classes: 10, strideAt: '1x1' },
        'resnet-50',
      ),
      plain34: prepare('plain34', { family: 'imagenet', arch: 'plain', depth: 34, width: 2, classes: 10, stem: 'cifar' }, 'plain-34'),
    };
    const r = spawnSync(
      python!,
      ['-c', DRIVER, dir, JSON.stringify(Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, c.script])))],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const { logits: got, help } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { logits: Record<string, number[]>; help: string };
    for (const [tag, c] of Object.entries(cases)) {
      expect(got[tag], tag).toHaveLength(c.logits.length);
      const err = Math.max(...got[tag].map((g, i) => Math.abs(g - c.logits[i])));
      const scale = Math.max(...c.logits.map(Math.abs));
      console.log(`${tag}: max |torch - float64 interpreter| = ${err.toExponential(2)} (logits up to ${scale.toFixed(2)})`);
      expect(err, tag).toBeLessThan(1e-4);
      expect(scale, tag).toBeGreaterThan(0.05); // the logits are not trivially zero
    }
    // The script's training loop wrote a checkpoint the app's loader takes, momentum included.
    const back = readCheckpoint(new Uint8Array(readFileSync(join(dir, 'from-torch.safetensors'))));
    expect(back.meta).toMatchObject({ step: 3, name: 'resnet-8 run', config: { model: { arch: 'residual', depth: 8 } } });
    expect(Object.keys(back.momentum ?? {}).sort()).toEqual(
      stateLayout(resolveConfig({ arch: 'residual', depth: 8 }))
        .filter((e) => e.kind === 'param')
        .map((e) => e.name)
        .sort(),
    );
    // Head-only: fc moved; every other parameter and every BatchNorm statistic is as loaded (frozen, as in the app).
    const head = readCheckpoint(new Uint8Array(readFileSync(join(dir, 'head-only.safetensors'))));
    expect(head.meta).toMatchObject({ step: 2, config: { fineTune: { train: 'head' } } });
    for (const [name, v] of Object.entries(back.state)) {
      if (name.startsWith('fc.')) expect(head.state[name], name).not.toEqual(v);
      else expect(head.state[name], `${name} (frozen)`).toEqual(v);
    }
    expect(Object.keys(back.state).some((n) => n.endsWith('running_var'))).toBe(true);
    // The last script as a program: argparse's --help with the usage the docstring gives.
    expect(help).toContain('--checkpoint');
    expect(help).toContain('torchrun --nproc_per_node N resnet_8_run.py');
    expect(help).toContain('torchrun --redirects 1 --tee 1 --nproc_per_node N resnet_8_run.py'); // torch 1.13 on Python 3.11
    expect(help).toContain('--no-sync-bn');
    expect(help).toContain('Run it with the Python that has torch');
  }, 60_000);

  // The engine itself (Node bundle on Dawn; SwiftShader here) trains ResNet-8 two steps and writes the checkpoint.
  test("a checkpoint written by our engine after 2 training steps: the script gives the engine's eval-mode logits to 1e-4", async (ctx) => {
    mkdirSync('dist-node', { recursive: true });
    const bundleDir = mkdtempSync(join(process.cwd(), 'dist-node', 'torch-'));
    try {
      await build({ configFile: 'vite.node.config.ts', logLevel: 'warn', build: { outDir: bundleDir, emptyOutDir: false } });
      const model: ModelConfig = { arch: 'residual', depth: 8 };
      const runConfig = recipe(model);
      writeFileSync(join(dir, 'engine_run.py'), torchScript('engine run', runConfig));
      const script = new URL('../support/nodeCheckpointLogits.mjs', import.meta.url).pathname;
      const args = [script, join(bundleDir, 'engine.mjs'), dir, JSON.stringify({ config: model, runConfig, batch: 4, seed: 3, steps: 2 })];
      const child = await new Promise<{ err: Error | null; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, args, { env: { ...process.env, ...vulkanPlan().set }, timeout: 120_000 }, (err, stdout, stderr) =>
          resolve({ err, stdout, stderr }),
        ),
      );
      expect(child.err, child.stderr).toBeNull();
      const engine = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { adapter: string | null; logits: number[] };
      if (engine.adapter === null) {
        if (CI) throw new Error('CI run: Dawn found no WebGPU adapter. Under CI this is a failure, not a skip.');
        ctx.skip();
      }
      const r = spawnSync(python!, ['-c', EVAL_DRIVER, dir, join(dir, 'engine_run.py')], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { step: number; logits: number[] };
      expect(got.step).toBe(2);
      expect(got.logits).toHaveLength(engine.logits.length);
      const err = Math.max(...got.logits.map((g, i) => Math.abs(g - engine.logits[i])));
      console.log(`engine (${engine.adapter}) checkpoint: max |torch - engine| eval-mode logits = ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-4);
    } finally {
      rmSync(bundleDir, { recursive: true, force: true });
    }
  }, 150_000);
});
