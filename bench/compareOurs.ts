// Our engine in the comparison: the network's own step recording (Network.encodeStep) on inputs uploaded once,
// one submit per step and a 16-byte readback of the loss; the convolution micro-benchmarks call the kernel
// wrappers of src/kernels/conv.ts directly on storage buffers and time `reps` dispatches per submit.
import { buildNetwork, createEngine, type Engine, type Network } from '../src/index';
import { createStorage } from '../src/gpu/buffers';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward, colElements } from '../src/kernels/conv';
import type { ConvGeom } from '../src/geometry';
import { record, type BufferRef, type Dispatch } from '../src/kernels/kernel';
import type { StepTarget } from '../src/runtime/targets';
import { Profiler } from '../src/gpu/profiler';
import { Rng } from '../src/util/rng';
import { timeSteps, type ConvJob, type Framework, type InferJob, type Timing, type TrainJob } from './compareTypes';

export function ours(): Framework {
  let engine: Engine | undefined;
  let staging: GPUBuffer | undefined;
  const live: { destroy(): void }[] = [];
  const device = () => engine!.gpu.device;

  /** Runs a job, then frees the networks and buffers it created. */
  const scoped = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } finally {
      for (const l of live.splice(0)) l.destroy();
    }
  };

  /** A network with the shared state, and its target for (mode, batch) holding the images and labels. */
  const prepare = async (job: InferJob, mode: 'train' | 'eval'): Promise<{ net: Network; t: StepTarget }> => {
    const net = await buildNetwork(engine!, { arch: job.net.arch, depth: job.net.depth }, { batchSize: job.batch, seed: 0 });
    live.push(net);
    net.setState(job.state);
    const t = await net.target(mode, job.batch);
    const q = device().queue;
    q.writeBuffer(t.images, 0, job.images.buffer, job.images.byteOffset, job.images.byteLength);
    q.writeBuffer(t.labels, 0, job.labels.buffer, job.labels.byteOffset, job.labels.byteLength);
    return { net, t };
  };

  /** Submits `enc` after copying the target's mean loss into the reused staging buffer; resolves with the loss. */
  const submitAndReadLoss = async (enc: GPUCommandEncoder, t: StepTarget): Promise<number> => {
    enc.copyBufferToBuffer(t.metrics, 0, staging!, 0, 16);
    device().queue.submit([enc.finish()]);
    await staging!.mapAsync(GPUMapMode.READ);
    const loss = new Float32Array(staging!.getMappedRange(0, 16))[0];
    staging!.unmap();
    return loss;
  };

  const storage = (label: string, floats: number, rng?: Rng): BufferRef => {
    const b = createStorage(engine!.gpu, `compare.conv.${label}`, floats * 4);
    live.push(b);
    if (rng)
      device().queue.writeBuffer(
        b,
        0,
        new Float32Array(floats).map(() => rng.normal()),
      );
    return { buffer: b };
  };

  /** GPU time of each dispatch (one timestamped pass each), or undefined without timestamp queries. */
  const profile = async (dispatches: Dispatch[]) => {
    const gpu = engine!.gpu;
    if (!gpu.hasTimestamps) return undefined;
    const profiler = new Profiler(gpu, dispatches.length);
    try {
      const enc = gpu.device.createCommandEncoder({ label: 'compare.conv.profile' });
      for (const d of dispatches) {
        const pass = profiler.pass(enc, d.label);
        record(pass, [d]);
        pass.end();
      }
      profiler.resolve(enc);
      gpu.device.queue.submit([enc.finish()]);
      return (await profiler.read()).map((k) => ({ label: k.label, ms: +k.ms.toFixed(3) }));
    } finally {
      profiler.destroy();
    }
  };

  return {
    id: 'ours',
    async init() {
      engine = await createEngine();
      staging = device().createBuffer({
        label: 'compare.loss.staging',
        size: 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      return engine.adapterName;
    },

    train: (job: TrainJob) =>
      scoped(async () => {
        const { net, t } = await prepare(job, 'train');
        return timeSteps(job.warmup, job.steps, job.deadline, () => {
          const enc = device().createCommandEncoder({ label: 'compare.train' });
          net.encodeStep(enc, t, 'train', job.hyper);
          return submitAndReadLoss(enc, t);
        });
      }),

    infer: (job: InferJob) =>
      scoped(async () => {
        const { net, t } = await prepare(job, 'eval');
        return timeSteps(job.warmup, job.steps, job.deadline, () => {
          const enc = device().createCommandEncoder({ label: 'compare.infer' });
          net.encodeStep(enc, t, 'forward');
          return submitAndReadLoss(enc, t);
        });
      }),

    conv: (job: ConvJob): Promise<Timing> =>
      scoped(async () => {
        const gpu = engine!.gpu;
        const g: ConvGeom = { n: job.n, c: job.c, h: job.h, w: job.w, o: job.o, kh: 3, kw: 3, stride: 1, pad: 1 };
        const rng = new Rng(3);
        const xN = job.n * job.c * job.h * job.w;
        const yN = job.n * job.o * job.h * job.w;
        const wN = job.o * job.c * 9;
        const col = storage('col', colElements(g));
        let dispatches: Dispatch[];
        if (job.kind === 'forward') {
          dispatches = await conv2dForward(
            gpu,
            'compare.conv',
            g,
            storage('x', xN, rng),
            storage('w', wN, rng),
            undefined,
            col,
            storage('y', yN),
          );
        } else if (job.kind === 'inputGrad') {
          dispatches = await conv2dBackwardInput(
            gpu,
            'compare.conv',
            g,
            storage('dy', yN, rng),
            storage('w', wN, rng),
            col,
            storage('dx', xN),
          );
        } else {
          dispatches = await conv2dBackwardWeight(
            gpu,
            'compare.conv',
            g,
            storage('dy', yN, rng),
            storage('x', xN, rng),
            col,
            storage('dw', wN),
          );
        }
        const batchOfReps = async () => {
          const enc = gpu.device.createCommandEncoder({ label: `compare.conv.${job.kind}` });
          const pass = enc.beginComputePass();
          for (let i = 0; i < job.reps; i++) record(pass, dispatches);
          pass.end();
          gpu.device.queue.submit([enc.finish()]);
          await gpu.device.queue.onSubmittedWorkDone();
          return undefined;
        };
        const timing = await timeSteps(job.warmup, job.steps, job.deadline, batchOfReps, job.reps);
        timing.kernels = await profile(dispatches);
        return timing;
      }),

    dispose() {
      for (const l of live.splice(0)) l.destroy();
      staging?.destroy();
      engine?.gpu.device.destroy();
      engine = undefined;
      return Promise.resolve();
    },
  };
}
