// The mock worker's analysis lab: synthetic answers of the right shapes (no network to measure), so the lab's UI can
// be checked without a GPU. Numbers mean nothing; the real worker's are tested in tests/gpu/lab.test.ts.
import type { Command, RunConfig, WorkerEvent } from '../../../src/train/protocol';

type LabCommand = Extract<
  Command,
  { type: 'labResponses' | 'labLesion' | 'labReestimateBn' | 'labHistogram' | 'labProfile' | 'labLandscape' | 'labSaliency' }
>;

export function mockLab(c: LabCommand, cfg: RunConfig, step: number, image: (seed: number) => Uint8Array): WorkerEvent[] {
  const residual = cfg.model.arch === 'residual';
  const n = (cfg.model.depth - 2) / 6;
  const blocks = [1, 2, 3].flatMap((s) => Array.from({ length: n }, (_, i) => `layer${s}.${i}`));
  const convs = ['conv1', ...blocks.flatMap((b) => [`${b}.conv1`, `${b}.conv2`])];
  const wave = (i: number, k: number) => 1 + 0.3 * Math.sin(i * 1.7 + k);
  const runId = c.runId;
  switch (c.type) {
    case 'labResponses':
      return [
        {
          type: 'labResponses',
          runId,
          step,
          images: c.images,
          layers: convs.map((name, i) => ({ name, std: (residual ? 0.6 : 1) * wave(i, 0) })),
          blocks: residual ? blocks.map((name, i) => ({ name, ratio: 0.5 * wave(i, 1) })) : [],
        },
      ];
    case 'labLesion':
      return [
        {
          type: 'labLesion',
          runId,
          step,
          images: c.images,
          baselineError: 0.3,
          blocks: blocks.map((name, i) => ({ name, error: residual ? 0.35 + 0.02 * i : 0.9 })),
        },
      ];
    case 'labReestimateBn':
      return [
        {
          type: 'labBn',
          runId,
          step,
          batches: c.batches,
          images: c.images,
          before: { eval: 0.5, train: 0.55 },
          after: { eval: 0.56, train: 0.55 },
        },
      ];
    case 'labHistogram': {
      const h = (mean: number, std: number) => ({
        lo: mean - 4 * std,
        hi: mean + 4 * std,
        mean,
        std,
        counts: Array.from({ length: c.bins }, (_, i) => Math.round(1000 * Math.exp(-((((i + 0.5) / c.bins - 0.5) * 8) ** 2) / 2))),
      });
      const layer = c.layer || convs[0];
      const ch = Array.from({ length: 8 }, (_, i) => wave(i, 2));
      return [
        {
          type: 'labHistogram',
          runId,
          step,
          images: c.images,
          layer,
          layers: convs,
          before: h(0.2, 0.6),
          after: h(0.05, 0.9),
          channels: { batchMean: ch.map((x) => x - 1), batchVar: ch, runningMean: ch.map(() => 0), runningVar: ch.map(() => 1) },
        },
      ];
    }
    case 'labProfile':
      return [{ type: 'labProfile', runId, step, batch: cfg.batchSize, adapter: 'mock', timestamps: false, kernels: [] }];
    case 'labLandscape': {
      const coords = Array.from({ length: c.size }, (_, i) =>
        c.mode === '1d' ? -0.5 + (2 * i) / (c.size - 1) : -1 + (2 * i) / (c.size - 1),
      );
      const losses = c.mode === '1d' ? coords.map((a) => 2.3 - a + a * a) : coords.flatMap((b) => coords.map((a) => 1 + a * a + b * b));
      return [
        { type: 'labProgress', runId, kind: 'landscape', done: losses.length, total: losses.length },
        { type: 'labLandscape', runId, step, mode: c.mode, coords, losses, images: c.batches * cfg.batchSize, cancelled: false },
      ];
    }
    case 'labSaliency': {
      const map = (side: number, k: number) => Array.from({ length: side * side }, (_, i) => Math.max(0, Math.sin(i / side + k)));
      return [
        {
          type: 'labSaliency',
          runId,
          step,
          index: c.index,
          label: (c.index + 100) % 10,
          pixels: image(c.index + 100),
          logits: Array.from({ length: 10 }, (_, k) => Math.sin(k)),
          side: 8,
          maps: Array.from({ length: 10 }, (_, k) => map(8, k)),
          inputMaps: Array.from({ length: 10 }, (_, k) => map(32, k)),
        },
      ];
    }
  }
}
