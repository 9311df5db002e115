// `soak` (`npm run bench:soak`): a long run of a small net with the worker's own code (src/train/headless.ts), to
// show that nothing grows with the step count. Every GPU buffer the process creates is counted (created minus
// destroyed, by wrapping GPUDevice.createBuffer and GPUBuffer.destroy), and so are the JS heap and the time per
// step; at the end the least-squares slope of each against the step is printed with a verdict. A leak of one
// small buffer per step shows as a slope of its size in bytes per step; a slowdown as a positive ms/step slope.
import { createReadStream, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { createEngine, WebGpuUnavailableError } from '../index';
import { CIFAR10_CLASS_NAMES, IMAGE_BYTES, loadCifar10, type Cifar10, type Split } from '../data/cifar';
import type { RunConfig } from '../train/protocol';
import { HeadlessTrainer } from '../train/headless';
import { toErrorEvent } from '../train/errors';
import { Rng } from '../util/rng';
import { helpText, parseArgs, UsageError, type Specs } from './args';
import { installDawn, NO_ADAPTER } from './dawn';

export const SOAK_SPECS: Specs = {
  steps: { kind: 'int', help: 'training steps', default: 10_000 },
  samples: { kind: 'int', help: 'measurements along the run (each over the steps since the last)', default: 50 },
  depth: { kind: 'int', help: 'ResNet depth (6n+2)', default: 8 },
  width: { kind: 'int', help: 'filters of the first stage', default: 8 },
  batch: { kind: 'int', help: 'images per step', default: 16 },
  'eval-every': { kind: 'int', help: 'evaluate 256 test images every N steps (0: never), so evaluation is soaked too', default: 1000 },
  data: { kind: 'string', help: 'CIFAR-10 binary archive; default: 2,000 random images (a soak needs no real data)' },
  adapter: { kind: 'string', help: "GPU adapter: part of its name, or 'swiftshader'" },
};

const USAGE = 'usage: npm run bench:soak -- [options]      (or: node dist-node/engine.mjs soak [options])';
export const SOAK_HELP = helpText(
  USAGE,
  SOAK_SPECS,
  'Prints one JSON line per measurement, then a summary line with the slopes and a verdict.',
);

export interface SoakRequest {
  steps: number;
  samples: number;
  config: RunConfig;
  data?: string;
  adapter?: string;
}

export function soakRequest(argv: readonly string[]): SoakRequest | 'help' {
  const p = parseArgs(argv, SOAK_SPECS, 'soak');
  if (p.help) return 'help';
  for (const k of ['steps', 'samples', 'depth', 'width', 'batch'] as const)
    if (!((p[k] as number) > 0)) throw new UsageError(`soak: --${k} must be > 0, not ${p[k]}`);
  const steps = p.steps as number;
  const samples = Math.min(p.samples as number, steps);
  const data = p.data as string | undefined;
  if (data !== undefined && !existsSync(data)) throw new UsageError(`soak: --data ${data}: no such file`);
  const config: RunConfig = {
    model: { arch: 'residual', depth: p.depth as number, width: p.width as number },
    batchSize: p.batch as number,
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 1e-4,
    schedule: 'constant',
    warmupSteps: 0,
    steps,
    seed: 1,
    augment: true,
    valCount: 0,
    evalEvery: p['eval-every'] as number,
    evalImages: 256,
    evalBnModes: ['eval'],
  };
  return { steps, samples, config, data, adapter: p.adapter as string | undefined };
}

/** Live GPU buffers and their bytes, counted from every createBuffer and destroy in this process. */
class BufferCounter {
  bytes = 0;
  count = 0;
  private readonly live = new WeakSet<GPUBuffer>();
  private restore: (() => void) | undefined;

  install(): void {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound below with .call
    const create = GPUDevice.prototype.createBuffer;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound below with .call
    const destroy = GPUBuffer.prototype.destroy;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the patched methods' `this` is the device/buffer
    const counter = this;
    GPUDevice.prototype.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
      const b = create.call(this, d);
      counter.live.add(b);
      counter.bytes += b.size;
      counter.count++;
      return b;
    };
    GPUBuffer.prototype.destroy = function (this: GPUBuffer) {
      if (counter.live.delete(this)) {
        counter.bytes -= this.size;
        counter.count--;
      }
      destroy.call(this);
    };
    this.restore = () => {
      GPUDevice.prototype.createBuffer = create;
      GPUBuffer.prototype.destroy = destroy;
    };
  }

  uninstall(): void {
    this.restore?.();
  }
}

/** Least-squares slope of y against x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

function randomSplit(count: number, rng: Rng): Split {
  const images = new Uint8Array(count * IMAGE_BYTES).map(() => rng.int(256));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { count, images, labels };
}

async function soakData(path: string | undefined): Promise<{ data: Cifar10; source: string }> {
  if (!path) {
    const rng = new Rng(7);
    return {
      data: { classNames: CIFAR10_CLASS_NAMES, train: randomSplit(2000, rng), test: randomSplit(256, rng) },
      source: '2,000 random images',
    };
  }
  const data = await loadCifar10(Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>, { name: basename(path) });
  return { data, source: basename(path) };
}

/** Least-squares slope of `f` of the samples against their step. */
const slopeOf = (samples: readonly Sample[], f: (s: Sample) => number): number =>
  slope(
    samples.map((s) => s.step),
    samples.map(f),
  );

export interface SoakVerdict {
  gpuBytes: 'too few samples' | 'flat' | 'GROWS' | 'shrinks';
  time: 'too few samples' | 'flat' | 'slows down' | 'speeds up';
}

/**
 * The steady state's verdict. GPU bytes in use may not change at all once warm: any upward slope is a leak (GROWS),
 * a downward one is memory given back (shrinks), neither a fault of the other. The time per step counts as flat when
 * the fitted line moves by under 10% of the mean over the run (a shared machine is noisier than that: rerun it
 * quiet). The JS heap is reported, not judged: it holds every metrics point for the charts (~150 bytes a step) and
 * garbage-collects when it likes.
 */
export function soakVerdict(steady: readonly Sample[]): SoakVerdict {
  if (steady.length < 2) return { gpuBytes: 'too few samples', time: 'too few samples' };
  const span = steady[steady.length - 1].step - steady[0].step;
  const gpuSlope = slopeOf(steady, (s) => s.gpuBytes);
  const timeSlope = slopeOf(steady, (s) => s.msPerStep);
  const meanMs = steady.reduce((a, s) => a + s.msPerStep, 0) / steady.length;
  return {
    gpuBytes: gpuSlope > 0 ? 'GROWS' : gpuSlope < 0 ? 'shrinks' : 'flat',
    time: Math.abs(timeSlope * span) <= 0.1 * meanMs ? 'flat' : timeSlope > 0 ? 'slows down' : 'speeds up',
  };
}

/** 3 when GPU memory grows (a leak), else 0. */
export const soakExitCode = (v: SoakVerdict): number => (v.gpuBytes === 'GROWS' ? 3 : 0);

export interface Sample {
  step: number;
  gpuBytes: number;
  gpuBuffers: number;
  heapBytes: number;
  msPerStep: number;
}

/** Trains, measures, prints; returns the exit code (0 done, 1 failed, 3 GPU memory grew). */
export async function runSoak(req: SoakRequest): Promise<number> {
  const dawn = await installDawn({ adapter: req.adapter });
  const counter = new BufferCounter();
  counter.install();
  const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  try {
    const engine = await createEngine();
    const { data, source } = await soakData(req.data);
    out({
      soak: {
        adapter: engine.adapterName,
        steps: req.steps,
        model: req.config.model,
        batch: req.config.batchSize,
        evalEvery: req.config.evalEvery,
        data: source,
      },
    });
    const trainer = new HeadlessTrainer(engine.gpu, data);
    const every = Math.max(1, Math.floor(req.steps / req.samples));
    const samples: Sample[] = [];
    let last = { step: 0, at: performance.now() };
    try {
      await trainer.train('soak', req.config, {
        hooks: {
          submitted: (step) => {
            if (step % every !== 0) return;
            const now = performance.now();
            const s: Sample = {
              step,
              gpuBytes: counter.bytes,
              gpuBuffers: counter.count,
              heapBytes: process.memoryUsage().heapUsed,
              msPerStep: (now - last.at) / (step - last.step),
            };
            last = { step, at: now };
            samples.push(s);
            out(s);
          },
        },
      });
    } finally {
      trainer.destroy();
    }
    engine.gpu.destroy();
    // The slopes are of the steady state: after the first sample (pipeline compiles) and the first evaluation (its
    // graph and buffers are built on first use and kept).
    const warm = Math.max(every, req.config.evalEvery > 0 ? req.config.evalEvery + every : 0);
    const steady = samples.filter((s) => s.step > warm);
    const mean = (f: (s: Sample) => number) => steady.reduce((a, s) => a + f(s), 0) / Math.max(1, steady.length);
    const verdict = soakVerdict(steady);
    out({
      summary: {
        steps: samples.at(-1)?.step ?? 0,
        gpuBytesPerStep: slopeOf(steady, (s) => s.gpuBytes),
        gpuBytesMean: Math.round(mean((s) => s.gpuBytes)),
        msPerStepSlopePerStep: slopeOf(steady, (s) => s.msPerStep),
        msPerStepMean: +mean((s) => s.msPerStep).toFixed(3),
        heapBytesPerStep: +slopeOf(steady, (s) => s.heapBytes).toFixed(1),
        verdict,
      },
    });
    return soakExitCode(verdict);
  } catch (e) {
    process.stderr.write(`soak: ${toErrorEvent(e).message}\n`);
    if (e instanceof WebGpuUnavailableError) process.stderr.write(NO_ADAPTER);
    return 1;
  } finally {
    counter.uninstall();
    dawn.uninstall();
  }
}
