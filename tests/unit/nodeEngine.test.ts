// The engine in Node (src/node, dist-node/engine.mjs): the bundle is built as `npm run build:node` builds it and
// run in child processes, because the Vulkan environment (SwiftShader on CI) must be set before dawn.node opens
// a driver. Checks: the bundle is one module importing only 'webgpu' and node: built-ins; its training losses are
// the float64 interpreter's for the same graph, weights and batches; on the PyTorch golden's inputs it lands on the
// golden as the browser does (tests/gpu/torchGolden.test.ts) and on the browser's own float32 losses; the train CLI
// writes the app's CSV and a checkpoint the app loads.
// First: WebGPU's globals (readCheckpoint's imports reach src/gpu/buffers.ts, which reads GPUBufferUsage on load).
import '../../src/node/dawn';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { buildNetGraph } from '../../src/model/resnet';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { initialState } from '../../src/model/init';
import { appendBackward } from '../../src/graph/autodiff';
import { interpret, type Values } from '../../src/graph/interpret';
import { sgdStep, type SgdHyper } from '../../src/reference/sgd';
import { CI } from '../support/ci';
import { findTorchvisionPython, NO_TORCHVISION } from '../support/torchPython';
import { Rng } from '../../src/util/rng';
import { decodeSafetensors } from '../../src/model/safetensors';
import { readCheckpoint } from '../../src/train/checkpoint';
import { RECORD_BYTES } from '../../src/data/cifar';
import { SWIFTSHADER_ICD, vulkanPlan } from '../../src/node/vulkan';
import { writeTar } from '../support/tarWriter';
import { GOLDEN, goldenInputFiles } from '../golden/resnet8Inputs';
import { ENGINE_LOSSES, expectEngineLosses, expectGoldenSetup, expectTorchGolden } from '../golden/goldenChecks';

// Inside the repository (dist-node/ is ignored), so the bundle resolves 'webgpu' from node_modules as it would in use.
mkdirSync('dist-node', { recursive: true });
const dir = mkdtempSync(join(process.cwd(), 'dist-node', 'test-'));
const bundle = join(dir, 'engine.mjs');
const stepsScript = new URL('../support/nodeTrainSteps.mjs', import.meta.url).pathname;

beforeAll(async () => {
  await build({ configFile: 'vite.node.config.ts', logLevel: 'warn', build: { outDir: dir, emptyOutDir: false } });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env, maxBuffer: 1 << 24, timeout: 170_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** What tests/support/nodeTrainSteps.mjs prints. */
interface StepsResult {
  adapter: string;
  losses: number[];
  correct: number[];
}

/** The child's JSON line, or a skip where no WebGPU adapter is found (outside CI; under CI a failure). */
function childResult(run: { code: number; stdout: string; stderr: string }, skip: () => void): StepsResult {
  expect(run.code, run.stderr).toBe(0);
  const got = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Omit<StepsResult, 'adapter'> & { adapter: string | null };
  // No WebGPU adapter on this machine (no Vulkan driver, no Chromium): a skip outside CI, a failure under it.
  if (got.adapter === null) {
    if (CI)
      throw new Error(
        'CI run: Dawn found no WebGPU adapter (no Vulkan driver, no Chromium SwiftShader). Under CI this is a failure, not a skip.',
      );
    skip();
  }
  return got as StepsResult;
}

test('the bundle is one ES module that imports only webgpu and node: built-ins, with the WGSL inlined', () => {
  const text = readFileSync(bundle, 'utf8');
  const specifiers = [
    ...text.matchAll(
      /^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm,
    ),
  ].map((m) => m[1] ?? m[2] ?? m[3]);
  expect(specifiers).toContain('webgpu');
  expect(specifiers.filter((s) => s !== 'webgpu' && !s.startsWith('node:'))).toEqual([]);
  expect(text).toMatch(/@compute\s+@workgroup_size/);
});

describe('training in Node against the float64 interpreter', () => {
  const config: ModelConfig = { arch: 'residual', depth: 8 };
  const batch = 4;
  const seed = 7;
  const dataSeed = 1000;
  const steps = 3;
  const hyper: SgdHyper = { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 };

  /** The same steps in float64: the graph Network.create builds, its initial state, the interpreter, reference SGD. */
  function referenceLosses(): number[] {
    const net = buildNetGraph(resolveConfig(config), batch, 'train');
    const state = initialState(net.b.graph, net.stateOrder, seed);
    const gradOf = appendBackward(net.b);
    const v: Values = new Map();
    for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
    const momentum = new Map(net.params.map((p) => [p.id, new Float64Array(v.get(p.id)!.length)]));
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const rng = new Rng(dataSeed + s);
      const images = new Float32Array(batch * 3 * 32 * 32).map(() => rng.normal());
      const labels = Int32Array.from({ length: batch }, () => rng.int(10));
      v.set(net.images, Float64Array.from(images));
      v.set(net.labels, Float64Array.from(labels));
      interpret(net.b.graph, v, new Set(['forward', 'running', 'backward']));
      losses.push(v.get(net.metrics)![0]);
      for (const p of net.params) {
        const r = sgdStep(hyper, v.get(p.id)!, v.get(gradOf.get(p.id)!)!, momentum.get(p.id)!);
        v.set(p.id, r.param);
        momentum.set(p.id, r.momentum);
      }
    }
    return losses;
  }

  test('ResNet-8, batch 4, 3 SGD steps: every loss equals the reference to 1e-5 relative', async (ctx) => {
    const child = node([stepsScript, bundle, JSON.stringify({ config, batch, seed, steps, dataSeed, hyper })], {
      ...process.env,
      ...vulkanPlan().set,
    });
    const want = referenceLosses(); // while the child trains
    const got = childResult(await child, () => ctx.skip());
    console.log(`Node (${got.adapter}) losses ${got.losses.join(' ')}; float64 reference ${want.join(' ')}`);
    expect(got.losses).toHaveLength(steps);
    for (let i = 0; i < steps; i++) expect(Math.abs(got.losses[i] - want[i]) / want[i], `step ${i + 1}`).toBeLessThan(1e-5);
    expect(want[steps - 1]).not.toBe(want[0]); // the steps did train
  }, 180_000);
});

describe("the golden run in Node: the browser's inputs, PyTorch's golden, the browser's float32 losses", () => {
  test(`ResNet-8, batch ${GOLDEN.batch}, ${GOLDEN.steps} SGD steps: the golden's losses, weight norms and BN statistics`, async (ctx) => {
    expectGoldenSetup();
    // The very files scripts/torch-golden-inputs.mjs hands to PyTorch: the batches, byte for byte.
    const inputs = join(dir, 'golden');
    mkdirSync(inputs, { recursive: true });
    for (const [name, bytes] of Object.entries(goldenInputFiles())) writeFileSync(join(inputs, name), bytes);
    const stateOut = join(dir, 'golden-state.json');
    const { config, batch, seed, steps, dataSeed, hyper } = GOLDEN;
    const args = JSON.stringify({ config, batch, seed, steps, dataSeed, hyper, inputs, stateOut });
    const got = childResult(await node([stepsScript, bundle, args], { ...process.env, ...vulkanPlan().set }), () => ctx.skip());
    const states = JSON.parse(readFileSync(stateOut, 'utf8')) as Record<'initial' | 'final', Record<string, number[]>>;
    const f32 = (s: Record<string, number[]>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Float32Array.from(v)]));
    console.log(
      `Node (${got.adapter}) losses ${got.losses.join(' ')}; browser (${ENGINE_LOSSES.adapter}) ${ENGINE_LOSSES.losses.join(' ')}`,
    );
    const err = expectTorchGolden({ initial: f32(states.initial), losses: got.losses, correct: got.correct, final: f32(states.final) });
    const rel = expectEngineLosses(got.losses, got.adapter);
    console.log(
      `Node vs PyTorch: max rel error loss ${err.loss.toExponential(1)}, weight norms ${err.norms.toExponential(1)}, BN statistics ${err.stats.toExponential(1)}; vs the browser's losses ${rel?.toExponential(1) ?? 'not compared (another adapter)'}`,
    );
  }, 180_000);
});

/** A CIFAR-10 binary archive with `train` and `test` random images (labels cycling through the classes). */
function syntheticTarball(train: number, test: number): Uint8Array {
  const records = (n: number, salt: number) => {
    const b = new Uint8Array(n * RECORD_BYTES);
    const rng = new Rng(salt);
    for (let i = 0; i < n; i++) {
      b[i * RECORD_BYTES] = i % 10;
      for (let k = 1; k < RECORD_BYTES; k++) b[i * RECORD_BYTES + k] = rng.int(256);
    }
    return b;
  };
  const tar = writeTar([
    { name: 'cifar-10-batches-bin/data_batch_1.bin', data: records(train, 1) },
    { name: 'cifar-10-batches-bin/test_batch.bin', data: records(test, 2) },
  ]);
  return new Uint8Array(gzipSync(tar));
}

describe('train CLI', () => {
  test('3 steps on a small archive: the metrics CSV and JSON, and a checkpoint the app loads', async (ctx) => {
    const data = join(dir, 'tiny.tar.gz');
    writeFileSync(data, syntheticTarball(40, 12));
    const out = join(dir, 'out');
    const args = [
      'train',
      '--depth',
      '8',
      '--batch',
      '4',
      '--steps',
      '3',
      '--seed',
      '3',
      '--lr',
      '0.05',
      '--data',
      data,
      '--out',
      out,
      '--name',
      'tiny run',
    ];
    const { code, stdout, stderr } = await node([bundle, ...args]);
    if (code !== 0 && /no GPU adapter was found/.test(stderr) && !CI) ctx.skip();
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/3\/3 steps/);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ name: 'tiny run', steps: 3 });
    expect(summary.test).toEqual([expect.objectContaining({ bnMode: 'eval', images: 12 })]);

    const csv = readFileSync(join(out, 'tiny_run-metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'kind,step,epoch,lr,train_loss,train_acc,images_per_sec,gpu_bytes,split,bn_mode,eval_loss,eval_accuracy,eval_images',
    );
    const rows = csv.slice(1).map((r) => r.split(','));
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ['train', '1'],
      ['train', '2'],
      ['train', '3'],
      ['eval', '3'],
    ]);
    for (const r of rows.slice(0, 3)) expect(Number(r[4])).toBeGreaterThan(0);
    expect(Number(rows[3][11])).toBe(summary.test[0].accuracy);
    const json = JSON.parse(readFileSync(join(out, 'tiny_run-metrics.json'), 'utf8'));
    expect(json.metrics.map((m: { trainLoss: number }) => m.trainLoss)).toEqual(rows.slice(0, 3).map((r) => Number(r[4])));

    const bytes = new Uint8Array(readFileSync(join(out, 'tiny_run-step3.safetensors')));
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(tensors['conv1.weight'].shape).toEqual([16, 3, 3, 3]);
    expect(metadata.step).toBe('3');
    const ckpt = readCheckpoint(bytes); // what the app's "Load checkpoint" runs
    expect(ckpt.meta).toMatchObject({
      name: 'tiny run',
      step: 3,
      config: { batchSize: 4, seed: 3, lr: 0.05, steps: 3, model: { arch: 'residual', depth: 8 } },
    });
    expect(ckpt.momentum).toBeDefined();
  }, 180_000);

  // The ImageNet family headless at reduced width on 32x32 images: ResNet-18 with the 7x7 stem and max-pool, and
  // ResNet-50 (v1.5 bottlenecks): two steps each, finite losses, a checkpoint with torchvision's names the app loads.
  test.each([
    ['resnet-18', ['--depth', '18', '--width', '8']],
    ['resnet-50', ['--depth', '50', '--width', '4']],
    ['resnet-18 at 64x64', ['--depth', '18', '--width', '8', '--input-size', '64']],
  ])(
    '--family imagenet %s: 2 steps, a checkpoint with torchvision names',
    async (name, model) => {
      const data = join(dir, 'imagenet-family.tar.gz');
      writeFileSync(data, syntheticTarball(16, 8));
      const out = join(dir, `imagenet-${name}`);
      const args = [
        'train',
        '--family',
        'imagenet',
        ...model,
        '--batch',
        '4',
        '--steps',
        '2',
        '--data',
        data,
        '--out',
        out,
        '--no-progress',
      ];
      const { code, stdout, stderr } = await node([bundle, ...args]);
      expect(code, stderr).toBe(0);
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { steps: number; trainLoss: number; files: { checkpoint: string } };
      expect(summary.steps).toBe(2);
      expect(Number.isFinite(summary.trainLoss)).toBe(true);
      const ckpt = readCheckpoint(new Uint8Array(readFileSync(summary.files.checkpoint)));
      expect(ckpt.meta.config.model).toMatchObject({ family: 'imagenet', depth: parseInt(name.slice(7)), classes: 10 });
      expect(ckpt.meta.config.imageSize).toBe(model.includes('--input-size') ? 64 : undefined);
      expect(Object.keys(ckpt.state)).toContain('layer2.0.downsample.0.weight');
      expect(ckpt.state['conv1.weight']).toHaveLength(Number(model[3]) * 3 * 7 * 7); // the 7x7 stem
    },
    180_000,
  );

  // predict on torchvision's own weights (scripts/torchvision_weights.py writes a seeded ResNet-18 as a bare state
  // dict and computes torchvision's float64 logits of the same raw images): the GPU's float32 logits equal them.
  const tvPython = findTorchvisionPython();
  if (!tvPython && CI) throw new Error(`CI run: ${NO_TORCHVISION}`);
  test.skipIf(!tvPython)(
    "predict: a torchvision ResNet-18 state dict's logits on raw 64x64 images are torchvision's",
    async () => {
      const weights = join(dir, 'tv-resnet18.safetensors');
      const py = (...a: string[]) => {
        const r = spawnSync(tvPython!, ['scripts/torchvision_weights.py', ...a], { encoding: 'utf8', timeout: 240_000 });
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { logits: number[] };
      };
      py('export', 'resnet18', weights, '--seed', '9', '--num-classes', '10');
      const images = join(dir, 'raw64.bin');
      const rng = new Rng(4);
      writeFileSync(
        images,
        Uint8Array.from({ length: 3 * 3 * 64 * 64 }, () => Math.floor(rng.next() * 256)),
      );
      const want = py('logits', 'resnet18', weights, '--size', '64', '--images-bin', images).logits;
      const args = ['predict', '--model', 'resnet18', '--checkpoint', weights, '--images', images, '--input-size', '64', '--batch', '2'];
      const { code, stdout, stderr } = await node([bundle, ...args, '--classes', '10']);
      expect(code, stderr).toBe(0);
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { image: number; class: number; logits: number[] });
      expect(lines.map((l) => l.image)).toEqual([0, 1, 2]);
      const got = lines.flatMap((l) => l.logits);
      const scale = Math.max(...want.map(Math.abs));
      const err = Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
      console.log(`predict vs torchvision: max |diff| = ${err.toExponential(2)} (logits up to ${scale.toFixed(2)})`);
      expect(scale).toBeGreaterThan(0.1);
      expect(err / scale).toBeLessThan(1e-4); // float32 through 18 layers against float64
      for (const l of lines) expect(l.class).toBe(l.logits.indexOf(Math.max(...l.logits)));
      // Another network than the file holds, another head, or images of another size: exit 1, saying which.
      const wrongModel = await node([bundle, ...args.map((a) => (a === 'resnet18' ? 'resnet34' : a))]);
      expect(wrongModel.code).toBe(1);
      expect(wrongModel.stderr).toMatch(/holds a resnet18 \(ImageNet family, 10 classes\), not the --model resnet34/);
      const wrongHead = await node([bundle, ...args, '--classes', '1000']);
      expect(wrongHead.stderr).toMatch(/head has 10 classes \('fc\.weight' is \[10, \.\.\.\]\), not --classes 1000/);
      const wrongSize = await node([bundle, ...args.map((a) => (a === '64' ? '48' : a))]);
      expect(wrongSize.code).toBe(1);
      expect(wrongSize.stderr).toMatch(/36864 bytes is not a whole number of 48x48 RGB images \(6912 bytes each\)/);
    },
    300_000,
  );

  // Debian 12's lavapipe, named as the driver: Dawn finds no adapter on it ("shaderUniform*ArrayDynamicIndexing
  // required"), and the CLI must go on by itself on Chromium's SwiftShader, saying so.
  const lavapipe = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
  test.skipIf(!existsSync(lavapipe) || !existsSync(SWIFTSHADER_ICD))(
    'a driver Dawn rejects (lavapipe): falls back to SwiftShader and says why',
    async () => {
      const data = join(dir, 'fallback.tar.gz');
      writeFileSync(data, syntheticTarball(8, 4));
      const args = [
        'train',
        '--depth',
        '8',
        '--width',
        '4',
        '--batch',
        '4',
        '--steps',
        '1',
        '--data',
        data,
        '--out',
        join(dir, 'fallback'),
        '--no-progress',
      ];
      const { code, stderr } = await node([bundle, ...args], {
        ...process.env,
        VK_ICD_FILENAMES: lavapipe,
        RESNET_PLAYGROUND_VULKAN_ENV: '',
      });
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/Vulkan: Dawn found no adapter on lvp_icd\.x86_64\.json; using Chromium's SwiftShader/);
      expect(stderr).toMatch(/adapter: google swiftshader/i);
    },
    180_000,
  );

  test('bad options: exit code 2 and a message naming the option, before any GPU work', async () => {
    const r = await node([bundle, 'train', '--depth', '9', '--data', bundle]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/depth 9 is not of the form 6n\+2/);
    const s = await node([bundle, 'train', '--batch', 'big']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--batch must be a number, not 'big'/);
  });
});
