// `train`: the headless trainer. Reads a CIFAR-10 binary archive, trains one run with the worker's own code
// (src/train/headless.ts), evaluates the test split at the end, and writes what the app's buttons would: the
// metrics as CSV and JSON (the app's export format) and a safetensors checkpoint the app's "Load checkpoint"
// takes. Progress goes to stderr; stdout gets one JSON line with the results.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { createEngine, WebGpuUnavailableError } from '../index';
import { loadCifar10, type Cifar10 } from '../data/cifar';
import type { RunConfig } from '../train/protocol';
import { checkRunConfig } from '../train/runConfig';
import { DEFAULT_STEPS } from '../train/schedule';
import { HeadlessTrainer } from '../train/headless';
import { checkpointFileName, readCheckpoint, type LoadedCheckpoint } from '../train/checkpoint';
import { fileSafe, metricsCsv, metricsJson } from '../train/metricsFormat';
import { toErrorEvent } from '../train/errors';
import { helpText, parseArgs, UsageError, type Parsed, type Specs } from './args';
import { installDawn, NO_ADAPTER } from './dawn';
import { ProgressBar } from './progress';

// The defaults are the paper's recipe (DESIGN.md), as the app's "Paper recipe" preset has it (a unit test holds
// them to it); evaluation only at the end, in eval-mode BN.
export const TRAIN_SPECS: Specs = {
  arch: {
    kind: 'string',
    choices: ['residual', 'resnet', 'plain'],
    help: 'residual network or the plain net of the same depth',
    default: 'residual',
  },
  depth: {
    kind: 'int',
    help: 'layers: 6n+2 (8, 20, 32, 44, 56, 110), 9n+2 with bottleneck blocks; --family imagenet: 18, 34, 50, 101, 152',
    default: 20,
  },
  family: {
    kind: 'string',
    choices: ['cifar', 'imagenet'],
    help: "the paper's CIFAR nets (three stages) or its ImageNet ones (Table 1, torchvision's names)",
    default: 'cifar',
  },
  width: { kind: 'int', help: 'filters of the first stage (default 16; ImageNet family 64)' },
  shortcut: { kind: 'string', choices: ['A', 'B'], help: 'A: zero-padded identity, B: 1x1 projection (default A; ImageNet family B)' },
  bn: { kind: 'switch', help: 'batch normalisation', default: true },
  block: { kind: 'string', choices: ['basic', 'bottleneck'], help: 'residual block type (default basic; ImageNet family: by depth)' },
  stem: {
    kind: 'string',
    choices: ['imagenet', 'cifar'],
    help: 'ImageNet family: 7x7 stride-2 conv + 3x3 max-pool, or a 3x3 stride-1 conv (for 32x32 images)',
    default: 'imagenet',
  },
  'stride-at': {
    kind: 'string',
    choices: ['3x3', '1x1'],
    help: "ImageNet family: where a downsampling bottleneck strides (torchvision's v1.5, or the paper's 1x1)",
    default: '3x3',
  },
  'input-size': { kind: 'int', help: "the network's input height = width: the 32x32 images enlarged to it (bilinear)", default: 32 },
  epochs: { kind: 'number', help: 'length of the run in epochs over the training split' },
  steps: {
    kind: 'int',
    help: "length of the run in steps (default 64000, the paper's); with --epochs: stop after this many steps of that run",
  },
  batch: { kind: 'int', help: 'images per step', default: 128 },
  lr: { kind: 'number', help: 'peak learning rate', default: 0.1 },
  momentum: { kind: 'number', help: 'SGD momentum', default: 0.9 },
  wd: { kind: 'number', help: 'weight decay', default: 1e-4 },
  schedule: {
    kind: 'string',
    choices: ['step', 'cosine', 'constant'],
    help: 'learning-rate schedule (step: /10 at 50% and 75%)',
    default: 'step',
  },
  warmup: { kind: 'int', help: 'linear warm-up steps from lr/10', default: 0 },
  seed: { kind: 'int', help: 'initialisation, data order and augmentation', default: 0 },
  augment: { kind: 'switch', help: 'pad-4 random crop and horizontal flip', default: true },
  val: { kind: 'int', help: 'training images held out as a validation split', default: 0 },
  'eval-every': { kind: 'int', help: 'evaluate on the test split every N steps (0: only at the end)', default: 0 },
  'eval-images': { kind: 'int', help: 'test images per evaluation (0: all)', default: 0 },
  'eval-bn': { kind: 'string', choices: ['eval', 'train', 'eval,train'], help: 'BN mode(s) of the test evaluation', default: 'eval' },
  data: { kind: 'string', help: 'CIFAR-10 binary archive (cifar-10-binary.tar.gz); default $CIFAR10_TARBALL or data/' },
  checkpoint: {
    kind: 'string',
    help: "continue the run saved in this checkpoint (the app's, or the exported PyTorch script's): its network, recipe, seed, weights, momentum and step; of the model and recipe options only --steps (the run's new length) applies, the evaluation options do",
  },
  out: { kind: 'string', help: 'directory for the metrics and the checkpoint', default: 'runs' },
  name: { kind: 'string', help: "the run's name (file names, checkpoint metadata); default e.g. resnet-20" },
  adapter: { kind: 'string', help: "GPU adapter: part of its name, or 'swiftshader'" },
  progress: { kind: 'switch', help: 'progress line on stderr', default: true },
};

const USAGE = 'usage: npm run train -- [options]      (or: node dist-node/engine.mjs train [options])';

export interface TrainRequest {
  config: RunConfig;
  name: string;
  data: string;
  out: string;
  /** Steps to train before stopping (a cap inside a longer run), when given with --epochs. */
  maxSteps?: number;
  /** --checkpoint: the file, and the options that override what it holds. */
  resume?: { path: string; steps?: number; name?: string };
  adapter?: string;
  progress: boolean;
}

/** Where the dataset comes from when --data is not given (as the dev server looks for it). */
function defaultData(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const candidates = [env.CIFAR10_TARBALL, join(cwd, 'data/cifar-10-binary.tar.gz'), join(cwd, 'data/cifar-10-subset-binary.tar.gz')];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

/** The options as a RunConfig and file locations; a UsageError for anything wrong (no GPU touched). */
export function trainRequest(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): TrainRequest | 'help' {
  const p: Parsed = parseArgs(argv, TRAIN_SPECS, 'train');
  if (p.help) return 'help';
  const arch = p.arch === 'plain' ? 'plain' : 'residual';
  const epochs = p.epochs as number | undefined;
  const steps = p.steps as number | undefined;
  if (epochs !== undefined && !(epochs > 0)) throw new UsageError(`train: --epochs must be > 0, not ${epochs}`);
  if (steps !== undefined && !(steps > 0)) throw new UsageError(`train: --steps must be > 0, not ${steps}`);
  const config = runConfigOf(p, 'train');
  const data = (p.data as string | undefined) ?? defaultData(env, cwd);
  if (!data) {
    throw new UsageError(
      'train: no dataset: pass --data PATH to a CIFAR-10 binary archive (cifar-10-binary.tar.gz), set $CIFAR10_TARBALL, or run `npm run fetch-data`',
    );
  }
  if (!existsSync(data)) throw new UsageError(`train: --data ${data}: no such file`);
  if (!statSync(data).isFile()) throw new UsageError(`train: --data ${data} is not a file`);
  const resume = p.checkpoint as string | undefined;
  if (resume !== undefined && !existsSync(resume)) throw new UsageError(`train: --checkpoint ${resume}: no such file`);
  if (resume !== undefined && epochs !== undefined)
    throw new UsageError('train: with --checkpoint, give the run a new length with --steps, not --epochs');
  return {
    ...(resume !== undefined ? { resume: { path: resume, steps, name: p.name as string | undefined } } : {}),
    config,
    name: (p.name as string | undefined) ?? `${arch === 'plain' ? 'plain' : 'resnet'}-${config.model.depth}`,
    data,
    out: p.out as string,
    maxSteps: epochs !== undefined ? steps : undefined,
    adapter: p.adapter as string | undefined,
    progress: p.progress as boolean,
  };
}

/** The run's RunConfig from the parsed TRAIN_SPECS options; a UsageError (naming `command`) when it is not valid. */
export function runConfigOf(p: Parsed, command: string): RunConfig {
  const arch = p.arch === 'plain' ? 'plain' : 'residual';
  const epochs = p.epochs as number | undefined;
  const steps = p.steps as number | undefined;
  const bn = p.bn as boolean;
  const config: RunConfig = {
    model: {
      arch,
      depth: p.depth as number,
      ...(p.family === 'imagenet'
        ? { family: 'imagenet', stem: p.stem as 'imagenet' | 'cifar', strideAt: p['stride-at'] as '3x3' | '1x1', classes: 10 }
        : {}),
      width: (p.width as number | undefined) ?? (p.family === 'imagenet' ? 64 : 16),
      shortcut: (p.shortcut as 'A' | 'B' | undefined) ?? (p.family === 'imagenet' ? 'B' : 'A'),
      batchNorm: bn,
      ...(p.block !== undefined || p.family !== 'imagenet' ? { block: (p.block as 'basic' | 'bottleneck' | undefined) ?? 'basic' } : {}),
    },
    batchSize: p.batch as number,
    lr: p.lr as number,
    momentum: p.momentum as number,
    weightDecay: p.wd as number,
    schedule: p.schedule as RunConfig['schedule'],
    warmupSteps: p.warmup as number,
    ...(epochs !== undefined ? { epochs } : { steps: steps ?? DEFAULT_STEPS }),
    seed: p.seed as number,
    augment: p.augment as boolean,
    valCount: p.val as number,
    evalEvery: p['eval-every'] as number,
    evalImages: p['eval-images'] as number,
    evalBnModes: bn ? ((p['eval-bn'] as string).split(',') as ('eval' | 'train')[]) : ['eval'],
    ...(p['input-size'] !== 32 ? { imageSize: p['input-size'] as number } : {}),
  };
  try {
    checkRunConfig(config);
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
  return config;
}

async function loadData(path: string, log: (s: string) => void): Promise<Cifar10> {
  const size = statSync(path).size;
  let quarter = 0;
  const t0 = performance.now();
  const data = await loadCifar10(Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>, {
    totalBytes: size,
    name: basename(path),
    onProgress: (q) => {
      const now = Math.floor((4 * q.bytesRead) / size);
      if (now <= quarter || now >= 4) return;
      quarter = now;
      log(`reading ${basename(path)}: ${25 * now}%, ${q.imagesDecoded} images`);
    },
  });
  log(`dataset: ${data.train.count} training and ${data.test.count} test images (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return data;
}

export interface TrainSummary {
  name: string;
  adapter: string;
  steps: number;
  epoch: number;
  trainLoss: number | null;
  imagesPerSec: number;
  test: { bnMode: string; loss: number; accuracy: number; images: number }[];
  files: { csv: string; json: string; checkpoint?: string };
  error?: string;
}

export const TRAIN_HELP = helpText(
  USAGE,
  TRAIN_SPECS,
  "Writes <out>/<name>-metrics.csv and .json (the app's export format) and <out>/<name>-step<N>.safetensors.",
);

/** Trains as `req` asks; returns the exit code (0 done, 1 failed). */
export async function runTrain(req: TrainRequest): Promise<number> {
  const bar = new ProgressBar(process.stderr, req.progress);
  const log = (s: string) => bar.log(s);
  const dawn = await installDawn({ adapter: req.adapter });
  try {
    const engine = await createEngine(); // before the data: a machine without an adapter is told at once
    log(`adapter: ${engine.adapterName}`);
    const from = req.resume && readCheckpoint(new Uint8Array(await readFile(req.resume.path)));
    const data = await loadData(req.data, log);
    const trainer = new HeadlessTrainer(engine.gpu, data);
    try {
      return await runAndWrite(from ? resumed(req, from) : req, trainer, engine.adapterName, bar, from);
    } finally {
      trainer.destroy();
      engine.gpu.destroy();
    }
  } catch (e) {
    bar.finish();
    process.stderr.write(`train: ${toErrorEvent(e).message}\n`);
    if (e instanceof WebGpuUnavailableError) process.stderr.write(NO_ADAPTER);
    return 1;
  } finally {
    dawn.uninstall();
  }
}

/**
 * The request for continuing `from`: its config and name, with the command line's evaluation options (they do not
 * change the run), a new length if --steps was given, another name if --name was.
 */
function resumed(req: TrainRequest, from: LoadedCheckpoint): TrainRequest {
  const { epochs: _, ...saved } = from.meta.config;
  const steps = req.resume?.steps;
  const evaluation = {
    evalEvery: req.config.evalEvery,
    evalImages: req.config.evalImages,
    evalBnModes: saved.model.batchNorm === false ? (['eval'] as const) : req.config.evalBnModes,
  };
  const config: RunConfig = {
    ...(steps !== undefined ? { ...saved, steps } : from.meta.config),
    ...evaluation,
    evalBnModes: [...evaluation.evalBnModes],
  };
  return { ...req, config, name: req.resume?.name ?? (from.meta.name || req.name) };
}

async function runAndWrite(
  req: TrainRequest,
  trainer: HeadlessTrainer,
  adapter: string,
  bar: ProgressBar,
  from?: LoadedCheckpoint,
): Promise<number> {
  const { config, name } = req;
  bar.log(`building ${name} (batch ${config.batchSize}) ...`);
  if (from) bar.log(`continuing from ${req.resume!.path} at step ${from.meta.step}`);
  let total = 0;
  let started = 0;
  const res = await trainer.train(name, config, {
    from,
    maxSteps: req.maxSteps,
    hooks: {
      begin: (run, steps) => {
        total = steps;
        bar.log(
          `training ${run.step > 0 ? `steps ${run.step + 1}..${steps}` : `${steps} steps`} of ${run.totalSteps} (${run.paramCount.toLocaleString('en')} parameters, ${(run.gpuBytes() / 2 ** 20).toFixed(1)} MiB on the GPU)`,
        );
      },
      submitted: (step) => {
        if (step === 1) started = performance.now();
      },
      metrics: (points) => {
        const last = points.at(-1)!;
        const elapsed = performance.now() - started;
        const rate = elapsed > 0 ? (last.step * config.batchSize * 1000) / elapsed : 0;
        const etaMs = last.step > 0 ? ((total - last.step) * elapsed) / last.step : NaN;
        bar.update(
          { step: last.step, total, epoch: last.epoch, loss: last.trainLoss, acc: last.trainAcc, rate, etaMs },
          last.step === total,
        );
        if (last.step === total) bar.finish(); // the last state stays on screen above what follows
      },
      evaluation: (points) => {
        for (const p of points)
          bar.log(
            `step ${p.step}: test accuracy ${(p.accuracy * 100).toFixed(2)}% (${p.bnMode}-mode BN), loss ${p.loss.toFixed(4)}, ${p.images} images`,
          );
      },
    },
  });
  bar.finish();
  return writeResults(req, trainer, adapter, res);
}

async function writeResults(
  req: TrainRequest,
  trainer: HeadlessTrainer,
  adapter: string,
  res: Awaited<ReturnType<HeadlessTrainer['train']>>,
): Promise<number> {
  const { run, metrics, evals } = res;
  const out = resolve(req.out);
  await mkdir(out, { recursive: true });
  const base = fileSafe(req.name);
  const exported = { name: req.name, config: { ...req.config, lr: run.lr }, metrics, evals };
  const files: TrainSummary['files'] = { csv: join(out, `${base}-metrics.csv`), json: join(out, `${base}-metrics.json`) };
  await writeFile(files.csv, metricsCsv(exported));
  await writeFile(files.json, metricsJson(exported));
  let error: string | undefined;
  if (res.nonFiniteAt !== undefined) {
    error = `the training loss became NaN or infinite at step ${res.nonFiniteAt} (learning rate ${run.lrAt(res.nonFiniteAt - 1).toPrecision(3)}); no checkpoint written. Lower --lr or add --warmup.`;
  } else {
    files.checkpoint = join(out, checkpointFileName(req.name, run.step));
    await writeFile(files.checkpoint, await trainer.checkpoint(run));
  }
  const images = metrics.length * req.config.batchSize;
  const summary: TrainSummary = {
    name: req.name,
    adapter,
    steps: run.step,
    epoch: +run.epochAt(run.step).toFixed(4),
    trainLoss: metrics.at(-1)?.trainLoss ?? null,
    imagesPerSec: res.trainMs > 0 ? +((images * 1000) / res.trainMs).toFixed(2) : 0,
    test: evals.filter((e) => e.step === run.step).map((e) => ({ bnMode: e.bnMode, loss: e.loss, accuracy: e.accuracy, images: e.images })),
    files,
    ...(error ? { error } : {}),
  };
  run.destroy();
  if (error) process.stderr.write(`train: ${error}\n`);
  process.stderr.write(`wrote ${files.csv}, ${files.json}${files.checkpoint ? `, ${files.checkpoint}` : ''}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return error ? 1 : 0;
}
