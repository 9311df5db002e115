// The analysis lab's jobs on a run (protocol commands lab*): layer responses on a fixed test batch, the lesion
// study and the re-estimation of the BN statistics. All numbers are computed on the GPU by the engine (graph
// variants, runtime/responses.ts, runtime/bnReestimate.ts, the evaluator). Lab jobs run one at a time (they share
// the network's variant graphs, freed after each job) in the background, like evaluations. A training run takes
// no step while a job measures it (the lifecycle's hold), so a job that submits in several turns (the lesion study's
// baseline and each lesion, the BN re-estimation's before and after) sees the weights of one step throughout, the
// step its event names. The loss landscape reads the weights once, at its step, and works on a copy.
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import type { ReadbackPool } from '../gpu/readback';
import { stageBlocks } from '../model/config';
import { createBatchInput } from '../runtime/batchInput';
import { ResponseProbe } from '../runtime/responses';
import { BnReestimator } from '../runtime/bnReestimate';
import { bnHistograms } from '../runtime/bnHistogram';
import { classMaps, inputSaliency } from '../runtime/cam';
import { profileGradientStep } from '../runtime/labProfile';
import { LandscapeProbe, filterNormalisedDirection, type Weights } from '../runtime/landscape';
import { Network } from '../runtime/network';
import { buildNetGraph } from '../model/resnet';
import { initialState } from '../model/init';
import { Rng } from '../util/rng';
import { Evaluator } from './evaluate';
import type { Run } from './run';
import type { RunRegistry } from './runs';
import type { Post } from './outbox';
import { TrainerError } from './errors';

/** At most this many test images in the responses batch: the probe graph keeps every response alive. */
const MAX_RESPONSE_IMAGES = 64;

const positive = (n: number, what: string) => {
  if (!(Number.isInteger(n) && n > 0))
    throw new TrainerError('bad-config', `${what} must be a positive integer, not ${n}`, 'Ask for 1 or more.');
};

/** A landscape job's cancel flag: labCancel sets those of the run's jobs asked for before it, and no later one. */
interface CancelToken {
  cancelled: boolean;
}

export class LabJobs {
  private chain: Promise<unknown> = Promise.resolve();
  /** The cancel tokens of each run's landscape jobs not yet finished (checked between chunks of points). */
  private readonly tokens = new Map<string, Set<CancelToken>>();

  constructor(
    private readonly runs: RunRegistry,
    private readonly post: Post,
    private readonly gpu: () => Promise<Gpu>,
    private readonly readback: () => ReadbackPool,
    /** Runs `job` with the run held: it takes no training step until the job settles. */
    private readonly hold: <T>(r: Run, job: () => Promise<T>) => Promise<T>,
  ) {}

  /** Runs `job` after the lab jobs before it, with the run held; the variant graphs it built are freed after it. */
  private serial<T>(r: Run, job: () => Promise<T>): Promise<T> {
    const p = this.chain
      .then(() => this.hold(r, job))
      .finally(() => {
        if (this.runs.isCurrent(r)) r.network.dropVariants();
      });
    this.chain = p.catch(() => undefined);
    return p;
  }

  responses(r: Run, images: number): Promise<void> {
    positive(images, 'images');
    return this.serial(r, async () => {
      const gpu = await this.gpu();
      const test = r.splits.test;
      const n = Math.min(images, MAX_RESPONSE_IMAGES, test.ids.length);
      const target = await r.network.target('eval', n, { probe: true });
      const indices = createStorage(gpu, 'lab.responses.indices', n * 4);
      const input = await createBatchInput(
        gpu,
        'lab.responses.input',
        { batch: n, mean: r.splits.norm.mean, std: r.splits.norm.std, pad: 0, flip: false },
        test,
        indices,
        target,
      );
      const probe = await ResponseProbe.create(gpu, 'lab', target);
      try {
        gpu.device.queue.writeBuffer(indices, 0, test.ids, 0, n);
        const step = r.step;
        const enc = gpu.device.createCommandEncoder({ label: 'lab.responses' });
        input.encode(enc);
        r.network.encodeStep(enc, target, 'forward');
        const read = probe.encode(enc, this.readback());
        gpu.device.queue.submit([enc.finish()]);
        const res = await read();
        if (this.runs.isCurrent(r)) this.post({ type: 'labResponses', runId: r.id, step, images: n, ...res });
      } finally {
        probe.destroy();
        input.destroy();
        indices.destroy();
      }
    });
  }

  /** Histograms before/after BN of `layer` ('' = the first 3x3 layer) on the first test images, eval-mode BN. */
  histogram(r: Run, layer: string, bins: number, images: number): Promise<void> {
    positive(images, 'images');
    if (!(Number.isInteger(bins) && bins >= 2 && bins <= 256))
      throw new TrainerError('bad-config', `bins must be 2..256, not ${bins}`, 'Ask for 2 to 256 bins.');
    if (!r.network.config.batchNorm)
      throw new TrainerError('bad-config', `'${r.name}' has no BatchNorm.`, 'Choose a run trained with BatchNorm on.');
    return this.serial(r, async () => {
      const gpu = await this.gpu();
      const test = r.splits.test;
      const n = Math.min(images, MAX_RESPONSE_IMAGES, test.ids.length);
      const target = await r.network.target('eval', n, { probe: true });
      const layers = target.net.probes!.bnInputs.map((x) => x.name);
      const name = layer || layers[0];
      const indices = createStorage(gpu, 'lab.histogram.indices', n * 4);
      const input = await createBatchInput(
        gpu,
        'lab.histogram.input',
        { batch: n, mean: r.splits.norm.mean, std: r.splits.norm.std, pad: 0, flip: false },
        test,
        indices,
        target,
      );
      try {
        gpu.device.queue.writeBuffer(indices, 0, test.ids, 0, n);
        const step = r.step;
        const h = await bnHistograms(
          gpu,
          this.readback(),
          target,
          name,
          bins,
          (enc) => {
            input.encode(enc);
            r.network.encodeStep(enc, target, 'forward');
          },
          r.network.runningStats(name),
        );
        if (this.runs.isCurrent(r)) this.post({ type: 'labHistogram', runId: r.id, step, images: n, layer: name, layers, ...h });
      } finally {
        input.destroy();
        indices.destroy();
      }
    });
  }

  /** Kernel times of one forward + backward pass on the run's training target (its last batch). */
  profile(r: Run): Promise<void> {
    return this.serial(r, async () => {
      const gpu = await this.gpu();
      const target = await r.network.target('train', r.config.batchSize);
      const step = r.step;
      const { timestamps, kernels } = await profileGradientStep(gpu, target);
      if (this.runs.isCurrent(r)) {
        this.post({
          type: 'labProfile',
          runId: r.id,
          step,
          batch: r.config.batchSize,
          adapter: gpu.adapterName,
          timestamps,
          kernels,
        });
      }
    });
  }

  cancel(runId: string): void {
    for (const t of this.tokens.get(runId) ?? []) t.cancelled = true;
  }

  /**
   * The loss landscape of the run's weights (runtime/landscape.ts), on a scratch copy of its network, so the run
   * trains on meanwhile. Training batches 0..batches-1 (un-augmented) are the fixed set.
   */
  landscape(r: Run, mode: '1d' | '2d', size: number, batches: number): Promise<void> {
    if (!(Number.isInteger(size) && size >= 2 && size <= 64))
      throw new TrainerError('bad-config', `grid size must be 2..64, not ${size}`, 'Ask for 2 to 64 points per axis.');
    positive(batches, 'batches');
    const token: CancelToken = { cancelled: false };
    const mine = this.tokens.get(r.id) ?? new Set<CancelToken>();
    this.tokens.set(r.id, mine.add(token));
    const forget = () => {
      mine.delete(token);
      if (mine.size === 0 && this.tokens.get(r.id) === mine) this.tokens.delete(r.id);
    };
    return this.serial(r, async () => {
      const gpu = await this.gpu();
      const B = r.config.batchSize;
      const train = r.splits.train;
      const k = Math.min(batches, Math.floor(train.ids.length / B));
      if (k < 1) throw new TrainerError('bad-config', `the training split has fewer than ${B} images`, 'Use a smaller batch size.');
      const step = r.step;
      const state = await r.network.getState();
      const shapes = r.network.stateShapes();
      const params: Weights = Object.fromEntries(shapes.filter((t) => t.kind === 'param').map((t) => [t.name, state[t.name]]));
      let base: Weights;
      let d1: Weights;
      let d2: Weights;
      let coords: number[];
      let points: [number, number][];
      if (mode === '1d') {
        const tmpl = buildNetGraph(r.network.config, 1, 'train');
        const init = initialState(tmpl.b.graph, tmpl.stateOrder, r.config.seed);
        base = Object.fromEntries(Object.keys(params).map((n) => [n, init[n]]));
        d1 = Object.fromEntries(Object.keys(params).map((n) => [n, params[n].map((x, i) => x - init[n][i])]));
        d2 = Object.fromEntries(Object.keys(params).map((n) => [n, new Float32Array(params[n].length)]));
        coords = Array.from({ length: size }, (_, i) => -0.5 + (2 * i) / (size - 1)); // 0 and 1 on the grid when (size - 1) % 4 == 0
        points = coords.map((a) => [a, 0]);
      } else {
        const rng = new Rng(r.config.seed + 1013);
        base = params;
        d1 = filterNormalisedDirection(params, shapes, rng);
        d2 = filterNormalisedDirection(params, shapes, rng);
        coords = Array.from({ length: size }, (_, i) => -1 + (2 * i) / (size - 1));
        points = coords.flatMap((b) => coords.map((a): [number, number] => [a, b]));
      }
      const scratch = await Network.create(gpu, r.network.config, { batchSize: B, seed: r.config.seed });
      const inputs: Awaited<ReturnType<typeof createBatchInput>>[] = [];
      const idx: GPUBuffer[] = [];
      try {
        scratch.setState(state);
        const target = await scratch.target('train', B);
        for (let i = 0; i < k; i++) {
          idx.push(createStorage(gpu, `lab.landscape.indices${i}`, B * 4));
          gpu.device.queue.writeBuffer(idx[i], 0, train.ids, i * B, B);
          inputs.push(
            await createBatchInput(
              gpu,
              `lab.landscape.input${i}`,
              { batch: B, mean: r.splits.norm.mean, std: r.splits.norm.std, pad: 0, flip: false },
              train,
              idx[i],
              target,
            ),
          );
        }
        const probe = await LandscapeProbe.create(gpu, scratch, target, base, d1, d2, mode === '1d' ? size : size);
        try {
          const losses = await probe.evaluate(points, { count: k, fill: (enc, i) => inputs[i].encode(enc) }, this.readback(), {
            onChunk: (done) =>
              this.runs.isCurrent(r) && this.post({ type: 'labProgress', runId: r.id, kind: 'landscape', done, total: points.length }),
            cancelled: () => token.cancelled || !this.runs.isCurrent(r),
          });
          const cancelled = losses.some((x) => Number.isNaN(x));
          if (this.runs.isCurrent(r))
            this.post({ type: 'labLandscape', runId: r.id, step, mode, coords, losses, images: k * B, cancelled });
        } finally {
          probe.destroy();
        }
      } finally {
        inputs.forEach((x) => x.destroy());
        idx.forEach((b) => b.destroy());
        scratch.destroy();
      }
    }).finally(forget);
  }

  /** Class activation maps and input-gradient saliency of test image `index` (runtime/cam.ts), eval-mode BN. */
  saliency(r: Run, index: number): Promise<void> {
    const test = r.splits.test;
    if (!(Number.isInteger(index) && index >= 0 && index < test.ids.length))
      throw new TrainerError('bad-config', `no test image ${index}`, 'Pick an image of the predictions.');
    return this.serial(r, async () => {
      const gpu = await this.gpu();
      const target = await r.network.target('eval', 1, { probe: true, saliency: true });
      const indices = createStorage(gpu, 'lab.saliency.indices', 4);
      const input = await createBatchInput(
        gpu,
        'lab.saliency.input',
        { batch: 1, mean: r.splits.norm.mean, std: r.splits.norm.std, pad: 0, flip: false },
        test,
        indices,
        target,
      );
      try {
        gpu.device.queue.writeBuffer(indices, 0, test.ids, index, 1);
        const step = r.step;
        const res = await classMaps(gpu, this.readback(), target, r.network.fcWeight(), r.network.config.classes, (enc) => {
          input.encode(enc);
          r.network.encodeStep(enc, target, 'forward');
        });
        // the images stay in the target: the per-class backward passes need no new input
        const inputMaps = await inputSaliency(gpu, this.readback(), target, r.network.config.classes, () => undefined);
        const id = test.ids[index];
        const pixels = test.source.images.slice(id * 3072, (id + 1) * 3072);
        if (this.runs.isCurrent(r))
          this.post({ type: 'labSaliency', runId: r.id, step, index, label: test.source.labels[id], pixels, ...res, inputMaps }, [
            pixels.buffer,
          ]);
      } finally {
        input.destroy();
        indices.destroy();
      }
    });
  }

  lesion(r: Run, images: number): Promise<void> {
    positive(images, 'images');
    return this.serial(r, async () => {
      const gpu = await this.gpu();
      const test = r.splits.test;
      const n = Math.min(images, test.ids.length);
      const names = stageBlocks(r.network.config).flatMap((per, s) => Array.from({ length: per }, (_, i) => `layer${s + 1}.${i}`));
      const ev = new Evaluator(gpu, r.network, this.readback(), r.splits.norm, r.config.batchSize);
      try {
        const step = r.step;
        const total = names.length + 1;
        const progress = (done: number) =>
          this.runs.isCurrent(r) && this.post({ type: 'labProgress', runId: r.id, kind: 'lesion', done, total });
        const [base] = await ev.run(test, ['eval'], n);
        progress(1);
        const blocks = [];
        for (let lesion = 0; lesion < names.length; lesion++) {
          const [res] = await ev.run(test, ['eval'], n, { variant: { lesion } });
          blocks.push({ name: names[lesion], error: 1 - res.accuracy });
          r.network.dropVariants(); // one lesioned graph at a time: a deep net has many blocks
          if (lesion < names.length - 1) progress(lesion + 2); // the last pass is followed by the result itself
        }
        if (this.runs.isCurrent(r))
          this.post({ type: 'labLesion', runId: r.id, step, images: n, baselineError: 1 - base.accuracy, blocks });
      } finally {
        ev.destroy();
      }
    });
  }

  /**
   * Test accuracy (both BN modes) before, the running statistics re-estimated from the first `batches` training
   * batches (un-augmented, the run's batch size), and the accuracy after. Changes the run's BN statistics only.
   */
  reestimateBn(r: Run, batches: number, images: number): Promise<void> {
    positive(batches, 'batches');
    positive(images, 'images');
    return this.serial(r, async () => {
      const gpu = await this.gpu();
      const train = r.splits.train;
      const B = r.config.batchSize;
      const k = Math.min(batches, Math.floor(train.ids.length / B));
      if (k < 1) throw new TrainerError('bad-config', `the training split has fewer than ${B} images`, 'Use a smaller batch size.');
      const test = r.splits.test;
      const n = Math.min(images, test.ids.length);
      const ev = new Evaluator(gpu, r.network, this.readback(), r.splits.norm, B);
      const target = await r.network.target('train', B);
      const indices = createStorage(gpu, 'lab.reestimate.indices', B * 4);
      const input = await createBatchInput(
        gpu,
        'lab.reestimate.input',
        { batch: B, mean: r.splits.norm.mean, std: r.splits.norm.std, pad: 0, flip: false },
        train,
        indices,
        target,
      );
      const re = await BnReestimator.create(gpu, target);
      try {
        const [be, bt] = await ev.run(test, ['eval', 'train'], n);
        const step = r.step;
        // All batches in this turn: no training step comes between them (each encoder is self-contained anyway).
        for (let i = 1; i <= k; i++) {
          gpu.device.queue.writeBuffer(indices, 0, train.ids, (i - 1) * B, B);
          const enc = gpu.device.createCommandEncoder({ label: `lab.reestimate.${i}` });
          input.encode(enc);
          r.network.encodeStep(enc, target, 'forwardNoUpdate');
          re.record(enc, i);
          gpu.device.queue.submit([enc.finish()]);
        }
        const [ae, at] = await ev.run(test, ['eval', 'train'], n);
        const event = {
          type: 'labBn',
          runId: r.id,
          step,
          batches: k,
          images: n,
          before: { eval: be.accuracy, train: bt.accuracy },
          after: { eval: ae.accuracy, train: at.accuracy },
        } as const;
        if (this.runs.isCurrent(r)) this.post(event);
      } finally {
        await gpu.device.queue.onSubmittedWorkDone();
        re.destroy();
        input.destroy();
        indices.destroy();
        ev.destroy();
      }
    });
  }
}
