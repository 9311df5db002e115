// A stand-in for src/train/worker.ts that speaks the same protocol without a GPU: synthetic data and
// loss curves, fast. Used by the UI-only checks (vite.mock.config.ts), never by the real app.
import type { Command, EvalPoint, LayerNorms, MetricPoint, RunConfig, WorkerEvent } from '../../../src/train/protocol';
import { mockLab } from './mockLab';

const post = (e: WorkerEvent, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(e, transfer);
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

interface Run {
  id: string;
  cfg: RunConfig;
  step: number;
  total: number;
  state: 'ready' | 'training' | 'evaluating' | 'paused' | 'done' | 'stopped';
  pending: MetricPoint[];
}
const runs = new Map<string, Run>();
let dataReady = false;
/** The mock's "browser cache": bytes said to be kept once data was loaded, until cleared (not across reloads). */
let cachedBytes: number | undefined;

function image(seed: number): Uint8Array {
  const px = new Uint8Array(3072);
  const hue = (seed * 37) % 255;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const r = Math.hypot(x - 16, y - 16);
        px[c * 1024 + y * 32 + x] = Math.max(0, Math.min(255, (c === seed % 3 ? 200 : hue) - r * 4 + ((x * y + seed) % 17)));
      }
  return px;
}
function images(n: number, offset = 0) {
  const pixels = new Uint8Array(n * 3072);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    pixels.set(image(i + offset), i * 3072);
    labels[i] = (i + offset) % 10;
  }
  return { pixels, labels };
}

const lossAt = (r: Run, s: number) => {
  const plain = r.cfg.model.arch === 'plain' ? 0.25 : 0;
  return 2.3 * Math.exp(-s / 60) + 0.6 + plain + 0.15 * Math.sin(s * 1.7) * Math.random();
};
const lrAt = (r: Run, s: number) =>
  r.cfg.schedule === 'step'
    ? r.cfg.lr * (s < r.total / 2 ? 1 : s < (3 * r.total) / 4 ? 0.1 : 0.01)
    : r.cfg.schedule === 'cosine'
      ? (r.cfg.lr * (1 + Math.cos((Math.PI * s) / r.total))) / 2
      : r.cfg.lr;

/** The run's points not yet posted: as the real worker, a state or an evaluation never overtakes them. */
function flushPoints(r: Run) {
  const points = r.pending.splice(0);
  if (points.length) post({ type: 'metrics', points });
}
function state(r: Run) {
  flushPoints(r);
  post({
    type: 'runState',
    runId: r.id,
    state: r.state,
    step: r.step,
    totalSteps: r.total,
    epoch: (r.step * r.cfg.batchSize) / 10000,
    paramCount: 78042,
    gpuBytes: 24e6,
  });
}
function evaluation(r: Run, modes: ('eval' | 'train')[]) {
  const acc = Math.min(0.9, 0.1 + r.step / 400) - (r.cfg.model.arch === 'plain' ? 0.05 : 0);
  const points: EvalPoint[] = modes.map((m) => ({
    runId: r.id,
    step: r.step,
    epoch: 0,
    split: 'test',
    bnMode: m,
    loss: lossAt(r, r.step),
    accuracy: m === 'eval' ? acc : acc - 0.03,
    images: r.cfg.evalImages || 10000,
  }));
  flushPoints(r);
  post({ type: 'evaluation', points });
}
function advance(r: Run) {
  r.step++;
  const s = r.step;
  r.pending.push({
    runId: r.id,
    step: s,
    epoch: (s * r.cfg.batchSize) / 10000,
    lr: lrAt(r, s),
    trainLoss: lossAt(r, s),
    trainAcc: Math.min(0.95, 0.1 + s / 300 + Math.random() * 0.05) - (r.cfg.model.arch === 'plain' ? 0.08 : 0),
    imagesPerSec: 812 + Math.random() * 20,
    gpuBytes: 24e6,
  });
  if (s >= r.total) {
    r.state = 'evaluating';
    state(r);
    evaluation(r, r.cfg.evalBnModes);
    r.state = 'done';
    state(r);
  } else if (r.cfg.evalEvery && s % r.cfg.evalEvery === 0) evaluation(r, r.cfg.evalBnModes);
}
setInterval(() => {
  for (const r of runs.values()) if (r.state === 'training') advance(r);
}, 300);
/** Synthetic per-layer norms: a plain net's gradient shrinks towards the input, a residual net's hardly. */
function layerNorms(r: Run): LayerNorms {
  const depth = r.cfg.model.depth;
  const n = (depth - 2) / 6;
  const layers = ['conv1.weight'];
  for (let stage = 1; stage <= 3; stage++)
    for (let b = 0; b < n; b++) layers.push(`layer${stage}.${b}.conv1.weight`, `layer${stage}.${b}.conv2.weight`);
  layers.push('fc.weight');
  const decay = r.cfg.model.arch === 'plain' ? 0.35 : 0.03;
  const grad = layers.map((_, i) => 0.5 * Math.exp(-decay * (layers.length - 1 - i)) * (1 + 0.1 * Math.random()));
  return { runId: r.id, step: r.step, layers, grad, weight: layers.map((_, i) => 2 + i / layers.length) };
}
setInterval(() => {
  const points = [...runs.values()].flatMap((r) => r.pending.splice(0));
  if (points.length) post({ type: 'metrics', points });
  const norms = [...runs.values()].filter((r) => r.state === 'training' && r.step > 0).map(layerNorms);
  if (norms.length) post({ type: 'layerNorms', points: norms });
  for (const r of runs.values()) state(r);
}, 100);

function create(id: string, cfg: RunConfig, start: boolean) {
  const total = cfg.steps ?? Math.ceil(((cfg.epochs ?? 1) * 10000) / cfg.batchSize);
  const r: Run = { id, cfg, step: 0, total, state: start ? 'training' : 'ready', pending: [] };
  runs.set(id, r);
  state(r);
}

self.onmessage = async (e: MessageEvent<Command>) => {
  const c = e.data;
  const r = 'runId' in c ? runs.get(c.runId) : undefined;
  switch (c.type) {
    case 'init':
      post({
        type: 'ready',
        adapter: 'mock adapter (no GPU)',
        profile: 'cpu',
        profileWhy: 'the mock worker has no GPU',
        maxBufferBytes: 1 << 30,
        tuning: { mode: 'manual', profile: 'cpu', why: 'the mock worker has no GPU', tuned: false, results: [], running: false },
        gpu: { description: 'mock adapter', limits: { maxBufferSize: 1 << 30 }, features: [], timestamps: false },
      });
      break;
    case 'measureSpeed':
      // A fixed, made-up speed: 100 images/s of a 10 M multiply-add net (x3 for a training image).
      post({
        type: 'speed',
        probe: { model: 'mock net', batch: 32, steps: 4, ms: 1280, imagesPerSec: 100, trainMacsPerImage: 3e7 },
      });
      break;
    case 'loadData': {
      if (c.source.kind === 'cache' && !dataReady)
        return post({ type: 'error', code: 'no-data', message: 'Nothing cached.', advice: 'Load the data.' });
      if (c.source.kind === 'file') {
        const head = new Uint8Array(await c.source.file.slice(0, 2).arrayBuffer());
        if (head[0] !== 0x1f || head[1] !== 0x8b)
          return post({
            type: 'error',
            code: 'bad-data',
            message: `${c.source.name} is not a gzip file.`,
            advice: 'Pick cifar-10-binary.tar.gz.',
          });
      }
      const total = 56e6;
      for (let i = 1; i <= 5; i++) {
        await new Promise((res) => setTimeout(res, 60));
        post({ type: 'dataProgress', bytesRead: (total * i) / 5, totalBytes: total, imagesDecoded: 4000 * i, phase: 'decode' });
      }
      dataReady = true;
      cachedBytes ??= 56e6;
      post({
        type: 'dataReady',
        summary: { classNames: CLASSES, trainCount: 10000, testCount: 10000, samples: images(16), source: c.source.kind },
      });
      break;
    }
    case 'createRun':
      create(c.runId, c.config, c.start);
      break;
    case 'createGroup':
      for (const x of c.runs) create(x.runId, x.config, c.start);
      break;
    case 'resume':
      for (const m of [r, ...(c.with ?? []).map((id) => runs.get(id))])
        if (m) {
          m.state = 'training';
          state(m);
        }
      break;
    case 'pause':
    case 'stop':
      for (const m of [r, ...(c.type === 'pause' ? (c.with ?? []) : []).map((id) => runs.get(id))])
        if (m) {
          m.state = c.type === 'pause' ? 'paused' : 'stopped';
          state(m);
        }
      break;
    case 'step':
      if (r) for (let i = 0; i < c.count; i++) advance(r);
      if (r && r.state === 'ready') r.state = 'paused';
      break;
    case 'setLr':
      break;
    case 'evaluate':
      if (r) evaluation(r, c.bnModes);
      break;
    case 'predict': {
      if (!r) break;
      const { pixels, labels } = images(c.count, 100);
      const predicted = labels.map((l, i) => (i % 3 === 0 ? (l + 1) % 10 : l));
      const confusion = CLASSES.map((_, i) => CLASSES.map((__, j) => (i === j ? 80 : (i + j) % 4)));
      post({ type: 'predictions', runId: r.id, step: r.step, bnMode: c.bnMode, pixels, labels, predicted, confusion, accuracy: 0.66 });
      break;
    }
    case 'save': {
      // A safetensors file with no tensors: the run's config and step in its metadata, as the real worker writes them.
      const meta = r
        ? { __metadata__: { format: 'resnet-playground.run/1', runConfig: JSON.stringify(r.cfg), step: String(r.step), name: c.runId } }
        : {};
      const header = new TextEncoder().encode(JSON.stringify(meta));
      const bytes = new ArrayBuffer(8 + header.length);
      new DataView(bytes).setBigUint64(0, BigInt(header.length), true);
      new Uint8Array(bytes, 8).set(header);
      post(
        {
          type: 'checkpoint',
          runId: c.runId,
          requestId: c.requestId,
          step: r?.step ?? 0,
          fileName: `${c.runId}-step${r?.step ?? 0}.safetensors`,
          bytes,
        },
        [bytes],
      );
      break;
    }
    case 'load': {
      // As the real worker: a file without a readable safetensors header, or with tensor data past its end, fails
      // (error state, then the message); any other file becomes a paused run.
      const len = c.bytes.byteLength >= 8 ? Number(new DataView(c.bytes).getBigUint64(0, true)) : 0;
      let readable = len > 0 && len <= c.bytes.byteLength - 8;
      let saved: { runConfig?: string; step?: string } = {};
      try {
        const header = readable
          ? (JSON.parse(new TextDecoder().decode(new Uint8Array(c.bytes, 8, len))) as Record<string, { data_offsets?: number[] }>)
          : {};
        saved = (header.__metadata__ as typeof saved | undefined) ?? {};
        const end = Math.max(0, ...Object.values(header).map((t) => t.data_offsets?.[1] ?? 0));
        readable &&= end <= c.bytes.byteLength - 8 - len;
      } catch {
        readable = false;
      }
      if (!readable) {
        post({ type: 'runState', runId: c.runId, state: 'error', step: 0, totalSteps: 0, epoch: 0, paramCount: 0, gpuBytes: 0 });
        post({
          type: 'error',
          runId: c.runId,
          code: 'bad-checkpoint',
          message: `'${c.name}' is not a safetensors file: its header cannot be read.`,
          advice: 'Load a .safetensors file saved by this app.',
        });
        break;
      }
      const cfg: RunConfig = saved.runConfig
        ? JSON.parse(saved.runConfig)
        : {
            model: { arch: 'residual', depth: 20 },
            batchSize: 128,
            lr: 0.1,
            momentum: 0.9,
            weightDecay: 1e-4,
            schedule: 'step',
            warmupSteps: 0,
            steps: 1000,
            seed: 0,
            augment: true,
            valCount: 0,
            evalEvery: 100,
            evalImages: 0,
            evalBnModes: ['eval'],
          };
      create(c.runId, cfg, false);
      const loaded = runs.get(c.runId)!;
      loaded.step = Number(saved.step ?? 0);
      loaded.state = loaded.step >= loaded.total ? 'done' : 'paused';
      state(loaded);
      break;
    }
    case 'rename':
      break; // the mock's checkpoints are named by id
    case 'deleteRun':
      runs.delete(c.runId);
      break;
    case 'storageInfo':
      post({ type: 'storage', datasetBytes: cachedBytes });
      break;
    case 'clearDatasetCache':
      cachedBytes = 0;
      post({ type: 'storage', datasetBytes: 0 });
      break;
    case 'fineTune':
      create(c.runId, c.config, c.start);
      break;
    case 'planMemory': {
      // Synthetic figures of the right shape: activations ~ depth without recomputation, ~ sqrt(depth) with it.
      const d = c.config.model.depth;
      const per = 2 ** 20 * c.config.batchSize;
      const fig = (every: number, bytes: number) => ({
        every,
        activationBytes: bytes,
        persistentBytes: d * 2 ** 14,
        extraForwardPct: every ? 95 : 0,
      });
      post({
        type: 'memoryPlan',
        requestId: c.requestId,
        without: fig(0, d * per),
        with: fig(Math.round(Math.sqrt(d / 2)), Math.sqrt(d) * 4 * per),
        usedEvery: 0,
        budgetBytes: 2 ** 32,
        largestBatch: { without: c.config.batchSize, with: c.config.batchSize },
      });
      break;
    }
    case 'labResponses':
    case 'labLesion':
    case 'labReestimateBn':
    case 'labHistogram':
    case 'labProfile':
    case 'labLandscape':
    case 'labSaliency':
      if (r) for (const e of mockLab(c, r.cfg, r.step, image)) post(e);
      break;
    case 'labCancel':
    case 'tuneCancel':
      break;
    case 'tune': // the mock has no kernels to time
      post({ type: 'tuneEnded', outcome: 'failed', message: 'the mock worker has no GPU to tune' });
      break;
    default:
      c satisfies never;
  }
};
