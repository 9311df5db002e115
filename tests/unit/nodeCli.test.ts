// The Node commands' pure parts: the Vulkan environment chosen for a machine, the train and bench options, the
// progress line. (Training itself is in nodeEngine.test.ts.)
// First: WebGPU's globals (src/node/train.ts reaches src/gpu/buffers.ts, which reads GPUBufferUsage on load).
import '../../src/node/dawn';
import { describe, expect, test, vi } from 'vitest';
import { CHROMIUM_DIR, SWIFTSHADER_ICD, swiftShaderFallback, vulkanPlan, type FsProbe } from '../../src/node/vulkan';
import { trainRequest, type TrainRequest } from '../../src/node/train';
import { benchRequest } from '../../src/node/bench';
import { torchScriptRequest } from '../../src/node/torchScriptCmd';
import { countsRequest, runCounts } from '../../src/node/countsCmd';
import { predictRequest } from '../../src/node/predictCmd';
import { UsageError } from '../../src/node/args';
import { progressLine } from '../../src/node/progress';
import { PAPER_RECIPE, toRunConfig } from '../../src/ui/lib/formConfig';

/** A machine described by its files. */
function machine(files: string[]): FsProbe {
  const set = new Set(files);
  return {
    exists: (p) => set.has(p),
    list: (dir) => files.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1)),
  };
}
const chromium = [SWIFTSHADER_ICD, `${CHROMIUM_DIR}/libvulkan.so.1`];
const loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1'];
const nvidia = ['/usr/share/vulkan/icd.d/nvidia_icd.json', '/dev/nvidia0'];
const mesa = ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/usr/share/vulkan/icd.d/intel_icd.x86_64.json'];

describe('vulkanPlan', () => {
  test('no loader and no driver, Chromium present: its loader and SwiftShader', () => {
    const plan = vulkanPlan({}, { LD_LIBRARY_PATH: '/opt/x' }, machine(chromium), 'linux');
    expect(plan.set).toEqual({ LD_LIBRARY_PATH: `${CHROMIUM_DIR}:/opt/x`, VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    expect(plan.note).toMatch(/SwiftShader/);
  });

  test('a loader and a GPU driver: nothing changes, unless SwiftShader is asked for', () => {
    expect(vulkanPlan({}, {}, machine([...chromium, ...loader, ...nvidia]), 'linux')).toEqual({ set: {} });
    expect(vulkanPlan({ adapter: 'nvidia' }, {}, machine([...chromium, ...loader, ...nvidia]), 'linux')).toEqual({ set: {} });
    expect(vulkanPlan({ adapter: 'SwiftShader' }, {}, machine([...chromium, ...loader, ...nvidia]), 'linux').set).toEqual({
      VK_ICD_FILENAMES: SWIFTSHADER_ICD,
    });
  });

  test("Mesa's drivers installed but no GPU device (python3-torch pulls them in): SwiftShader, as with no driver", () => {
    expect(vulkanPlan({}, {}, machine([...chromium, ...loader, ...mesa]), 'linux').set).toEqual({ VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    // A render node makes the installed drivers count.
    expect(vulkanPlan({}, {}, machine([...chromium, ...loader, ...mesa, '/dev/dri/renderD128']), 'linux')).toEqual({ set: {} });
  });

  test("a GPU driver but no system loader: Chromium's loader only", () => {
    expect(vulkanPlan({}, {}, machine([...chromium, ...nvidia]), 'linux').set).toEqual({ LD_LIBRARY_PATH: CHROMIUM_DIR });
  });

  test("the user's driver choice (VK_ICD_FILENAMES / VK_DRIVER_FILES) is kept", () => {
    expect(vulkanPlan({}, { VK_ICD_FILENAMES: '/x/lvp_icd.json' }, machine([...chromium, ...loader]), 'linux')).toEqual({ set: {} });
    expect(
      vulkanPlan({ adapter: 'swiftshader' }, { VK_DRIVER_FILES: '/x/lvp_icd.json' }, machine([...chromium, ...loader]), 'linux').set,
    ).toEqual({
      VK_ICD_FILENAMES: SWIFTSHADER_ICD,
      VK_DRIVER_FILES: SWIFTSHADER_ICD,
    });
  });

  test('already set up (the relaunched process), no Chromium, or not Linux: nothing to set', () => {
    const env = { LD_LIBRARY_PATH: CHROMIUM_DIR, VK_ICD_FILENAMES: SWIFTSHADER_ICD };
    expect(vulkanPlan({}, env, machine(chromium), 'linux')).toEqual({ set: {} });
    expect(vulkanPlan({}, {}, machine([]), 'linux')).toEqual({ set: {} });
    expect(vulkanPlan({}, {}, machine(chromium), 'darwin')).toEqual({ set: {} });
  });
});

describe('swiftShaderFallback (when Dawn found no adapter)', () => {
  const gpuMachine = machine([...chromium, ...loader, ...mesa, '/dev/dri/renderD128']);
  test("a GPU device with only Mesa's drivers (Dawn rejects lavapipe): SwiftShader, naming the drivers it tried", () => {
    const plan = swiftShaderFallback({}, gpuMachine, 'linux')!;
    expect(plan.set).toEqual({ VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    expect(plan.note).toBe(
      "Vulkan: Dawn found no adapter on lvp_icd.x86_64.json, intel_icd.x86_64.json; using Chromium's SwiftShader (a CPU implementation of Vulkan: slow) from /usr/lib/chromium instead",
    );
  });
  test("the user's driver that gave none: replaced, and named", () => {
    const plan = swiftShaderFallback({ VK_DRIVER_FILES: '/opt/lvp.json' }, gpuMachine, 'linux')!;
    expect(plan.set).toEqual({ VK_ICD_FILENAMES: SWIFTSHADER_ICD, VK_DRIVER_FILES: SWIFTSHADER_ICD });
    expect(plan.note).toMatch(/no adapter on lvp\.json;/);
  });
  test('SwiftShader in use already, no Chromium, or not Linux: nothing to fall back to', () => {
    expect(swiftShaderFallback({ VK_ICD_FILENAMES: SWIFTSHADER_ICD }, gpuMachine, 'linux')).toBeUndefined();
    expect(swiftShaderFallback({}, machine([...loader, ...mesa]), 'linux')).toBeUndefined();
    expect(swiftShaderFallback({}, gpuMachine, 'darwin')).toBeUndefined();
  });
});

describe('train options', () => {
  const data = 'package.json'; // any existing file: its contents are read only when training
  const req = (...argv: string[]) => trainRequest([...argv, '--data', data], {}) as TrainRequest;

  test("the defaults are the app's paper recipe; evaluation only at the end, in eval-mode BN", () => {
    const r = req();
    const paper = toRunConfig(PAPER_RECIPE);
    expect(r.config).toEqual({ ...paper, evalEvery: 0, evalImages: 0, evalBnModes: ['eval'] });
    expect(r).toMatchObject({ name: 'resnet-20', out: 'runs', progress: true, maxSteps: undefined });
  });

  test('the options of issue 13: plain-56, 3 epochs, batch 128; --steps alone is the length, with --epochs a cap', () => {
    const r = req(
      '--arch',
      'plain',
      '--depth',
      '56',
      '--epochs',
      '3',
      '--batch',
      '128',
      '--out',
      'o',
      '--seed=5',
      '--lr',
      '0.05',
      '--no-augment',
    );
    expect(r.config).toMatchObject({ model: { arch: 'plain', depth: 56 }, epochs: 3, batchSize: 128, seed: 5, lr: 0.05, augment: false });
    expect(r.config.steps).toBeUndefined();
    expect(r).toMatchObject({ name: 'plain-56', out: 'o', maxSteps: undefined });
    expect(req('--epochs', '3', '--steps', '10')).toMatchObject({ config: { epochs: 3 }, maxSteps: 10 });
    expect(req('--steps', '10')).toMatchObject({ config: { steps: 10 }, maxSteps: undefined });
    expect(req('--no-bn', '--eval-bn', 'eval,train').config).toMatchObject({ model: { batchNorm: false }, evalBnModes: ['eval'] });
    expect(trainRequest(['--help'], {})).toBe('help');
  });

  test.each([
    [['--depth', '9'], /depth 9 is not of the form 6n\+2/],
    [['--depth', '2.5'], /--depth must be a whole number, not '2.5'/],
    [['--lr', 'fast'], /--lr must be a number, not 'fast'/],
    [['--lr', '-1'], /learning rate must be a finite number >= 0/],
    [['--arch', 'vgg'], /--arch must be one of residual, resnet, plain, not 'vgg'/],
    [['--epochs', '0'], /--epochs must be > 0/],
    [['--batch'], /--batch needs a value/],
    [['--batch', '--lr', '1'], /--batch needs a value/],
    [['--btach', '4'], /unknown option --btach/],
    [['--augment=yes'], /--augment is a switch/],
    [['extra'], /unexpected argument 'extra'/],
    [['--data', 'no/such.tar.gz'], /--data no\/such.tar.gz: no such file/],
    [['--checkpoint', 'no/such.safetensors'], /--checkpoint no\/such.safetensors: no such file/],
    [['--checkpoint', 'package.json', '--epochs', '2'], /with --checkpoint, give the run a new length with --steps, not --epochs/],
  ])('%j is refused: %s', (argv, message) => {
    const run = () => trainRequest(argv.includes('--data') ? argv : [...argv, '--data', data], {});
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });

  test('--checkpoint: the file, and the two options that override what it holds (--steps, --name)', () => {
    expect(req('--checkpoint', 'package.json').resume).toEqual({ path: 'package.json', steps: undefined, name: undefined });
    expect(req('--checkpoint', 'package.json', '--steps', '40', '--name', 'more').resume).toEqual({
      path: 'package.json',
      steps: 40,
      name: 'more',
    });
    expect(req().resume).toBeUndefined();
  });

  test('no --data and no archive where the dev server looks: says how to get one', () => {
    expect(() => trainRequest([], {}, 'tests')).toThrow(/no dataset: pass --data PATH.*npm run fetch-data/); // no tests/data/
  });
});

describe('bench options', () => {
  test("the browser benchmark's configurations: ResNet-20 and plain-20 at batch 32 and 128 (4 and 8 with --quick)", () => {
    const full = benchRequest([]);
    const quick = benchRequest(['--quick', '--adapter', 'swiftshader']);
    if (full === 'help' || quick === 'help') throw new Error('no help asked for');
    expect(full.plan.configs.map((c) => `${c.model} b${c.batch}`)).toEqual([
      'resnet20 b32',
      'resnet20 b128',
      'plain20 b32',
      'plain20 b128',
    ]);
    expect(full.plan).toMatchObject({ steps: 3, warmup: 1 });
    expect(quick.plan.configs.map((c) => c.batch)).toEqual([4, 8, 4, 8]);
    expect(quick).toMatchObject({ plan: { steps: 2 }, adapter: 'swiftshader' });
    expect(() => benchRequest(['--batch', '32,x'])).toThrow(/--batch must be batch sizes like 32,128/);
  });

  test('--models names the networks; --infer times inference once per network (the GPU kit asks for both)', () => {
    const r = benchRequest(['--models', 'resnet56,plain110', '--batch', '128,512', '--infer', '512']);
    if (r === 'help') throw new Error('no help asked for');
    expect(r.plan.configs.map((c) => `${c.model} ${c.config.arch}-${c.config.depth} b${c.batch} i${c.inferBatch ?? '-'}`)).toEqual([
      'resnet56 residual-56 b128 i512',
      'resnet56 residual-56 b512 i-',
      'plain110 plain-110 b128 i512',
      'plain110 plain-110 b512 i-',
    ]);
    expect(() => benchRequest(['--models', 'resnet20,vgg16'])).toThrow(/--models takes names like resnet20,plain56, not 'vgg16'/);
    expect(() => benchRequest(['--infer', '0'])).toThrow(/--infer must be > 0/);
  });
});

test("torch-script: the train options as the exported script's run config, written to <name>.py", () => {
  const r = torchScriptRequest(['--arch', 'plain', '--depth', '56', '--shortcut', 'B', '--seed', '9', '--batch', '256']);
  if (r === 'help') throw new Error('no help asked for');
  expect(r.out).toBe('plain_56.py');
  const config = JSON.parse(/RUN_CONFIG = json.loads\(r'''(.*)'''\)/.exec(r.text)![1]) as {
    model: object;
    seed: number;
    batchSize: number;
  };
  expect(config).toMatchObject({ model: { arch: 'plain', depth: 56, shortcut: 'B' }, seed: 9, batchSize: 256 });
  expect(() => torchScriptRequest(['--depth', '21'])).toThrow(/torch-script: .*6n\+2/);
  const r18 = torchScriptRequest(['--family', 'imagenet', '--depth', '18']);
  if (r18 === 'help') throw new Error('no help asked for');
  expect(JSON.parse(/RUN_CONFIG = json.loads\(r'''(.*)'''\)/.exec(r18.text)![1])).toMatchObject({
    model: { family: 'imagenet', depth: 18 },
  });
});

test("train --family imagenet: Table 1's depths with the family's defaults, CIFAR-10's 10 classes; other depths refused", () => {
  const r = trainRequest(['--family', 'imagenet', '--depth', '50', '--stride-at', '1x1', '--data', 'package.json']);
  if (r === 'help') throw new Error('no help asked for');
  expect(r.config.model).toEqual({
    arch: 'residual',
    depth: 50,
    family: 'imagenet',
    stem: 'imagenet',
    strideAt: '1x1',
    classes: 10,
    width: 64,
    shortcut: 'B',
    batchNorm: true,
  });
  expect(() => trainRequest(['--family', 'imagenet', '--depth', '20', '--data', 'package.json'])).toThrow(
    /the ImageNet family has depths 18, 34, 50, 101, 152/,
  );
  // The CIFAR family as before: width 16, option A, basic blocks.
  const c = trainRequest(['--depth', '20', '--data', 'package.json']);
  if (c === 'help') throw new Error('no help asked for');
  expect(c.config.model).toEqual({ arch: 'residual', depth: 20, width: 16, shortcut: 'A', batchNorm: true, block: 'basic' });
});

test('counts: one JSON line per network; ResNet-50 at 224 as torchvision counts it, the CIFAR nets by their depth', async () => {
  const line = async (argv: string[]) => {
    const req = countsRequest(argv);
    if (req === 'help') throw new Error('no help asked for');
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c) => (chunks.push(String(c)), true));
    try {
      expect(await runCounts(req)).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(chunks.join('').endsWith('\n')).toBe(true);
    expect(chunks.join('').trim().split('\n')).toHaveLength(1);
    return JSON.parse(chunks.join('')) as {
      model: string;
      input: number;
      params: number;
      macs: number;
      stages: { name: string; output: number }[];
    };
  };
  const r50 = await line(['--model', 'resnet50']);
  expect(r50).toMatchObject({ model: 'resnet50', input: 224, params: 25_557_032, macs: 4_089_184_256 });
  expect(r50.stages.map((s) => `${s.name}@${s.output}`)).toEqual([
    'conv1@112',
    'conv2_x@56',
    'conv3_x@28',
    'conv4_x@14',
    'conv5_x@7',
    'fc@1',
  ]);
  expect((await line(['--model', 'resnet50', '--stride-at', '1x1'])).macs).toBe(3_857_973_248);
  expect((await line(['--model', 'resnet18', '--classes', '10', '--input', '64'])).params).toBe(11_689_512 - 990 * 513);
  // 20 is no ImageNet depth: the CIFAR ResNet-20 (0.27M parameters at 32x32); 50 names the ImageNet net unless told.
  expect(await line(['--model', 'resnet20'])).toMatchObject({ input: 32, params: 269_722 });
  expect((await line(['--model', 'resnet56', '--family', 'cifar'])).stages.map((s) => s.name)).toEqual([
    'conv1',
    'conv2_x',
    'conv3_x',
    'conv4_x',
    'fc',
  ]);
  expect(() => countsRequest(['--model', 'vgg16'])).toThrow(UsageError);
  expect(() => countsRequest(['--model', 'resnet19'])).toThrow(/counts: depth 19 is not of the form 6n\+2/);
  expect(() => countsRequest(['--model', 'resnet50', '--block', 'basic'])).toThrow(/ResNet-50 has bottleneck blocks/);
  expect(() => countsRequest(['--model', 'resnet18', '--input', '0'])).toThrow(/image size must be a positive integer/);
});

test('progress line: steps, epoch, loss, accuracy, images/s and time left', () => {
  const line = progressLine({ step: 120, total: 1170, epoch: 0.3077, loss: 1.83249, acc: 0.34375, rate: 412.4, etaMs: 151_000 });
  expect(line).toBe('[##------------------]   120/1170 steps  ep 0.31  loss 1.832  acc 34.4%  412 img/s  ETA 02:31');
});

test('predict options: what is required, files that exist, --mean with --std; a ResNet-18 request', () => {
  expect(() => predictRequest(['--checkpoint', 'package.json', '--images', 'package.json'])).toThrow(/--model is required/);
  expect(() => predictRequest(['--model', 'vgg16', '--checkpoint', 'package.json', '--images', 'package.json'])).toThrow(
    /--model takes resnetD or plainD/,
  );
  expect(() => predictRequest(['--model', 'resnet18', '--checkpoint', 'nope.safetensors', '--images', 'package.json'])).toThrow(
    /--checkpoint nope\.safetensors: no such file/,
  );
  const base = ['--model', 'resnet18', '--checkpoint', 'package.json', '--images', 'package.json'];
  expect(() => predictRequest([...base, '--mean', '0.5,0.5,0.5'])).toThrow(/--mean and --std go together/);
  expect(() => predictRequest([...base, '--mean', '0.5,0.5', '--std', '1,1,1'])).toThrow(/three numbers r,g,b, not '0\.5,0\.5'/);
  expect(predictRequest([...base, '--input-size', '64'])).toMatchObject({
    model: { name: 'resnet18', arch: 'residual', depth: 18, family: 'imagenet' },
    inputSize: 64,
    batch: 16,
    bnMode: 'eval',
  });
  expect(predictRequest(['--model', 'plain20', ...base.slice(2)])).toMatchObject({ model: { family: 'cifar', arch: 'plain', depth: 20 } });
});
