// The BatchNorm lab's histograms: one 3x3 layer's activations before BN (the convolution's output) and after it
// (normalised, then the learnt scale and shift; before the ReLU), on the batch a probe graph's forward pass left.
// Two submits: the BN statistics kernel gives each tensor's mean and std (per channel, pooled here from C numbers),
// which set the histogram's range (mean +- 4 std); then the histogram kernel counts on the GPU. Only the counts
// and a few moments are read back.
import type { Gpu } from '../gpu/gpu';
import { createStorage } from '../gpu/buffers';
import type { ReadbackPool } from '../gpu/readback';
import { perChannel } from '../geometry';
import { bnStats, scratchFreeVariant } from '../kernels/batchnorm';
import { histogram, setHistogramRange } from '../kernels/histogram';
import { record, type BufferRef } from '../kernels/kernel';
import { numel } from '../graph/ir';
import { ALIGN_FLOATS } from './arenas';
import { pooledStd } from './responses';
import type { StepTarget } from './targets';

export interface Histogram {
  /** The range [lo, hi) split into counts.length equal bins; values outside it are counted in the end bins. */
  lo: number;
  hi: number;
  counts: number[];
  mean: number;
  std: number;
}

/** Per channel of the BN layer: the batch's mean and biased variance of its input, and the running statistics. */
export interface ChannelStats {
  batchMean: number[];
  batchVar: number[];
  runningMean: number[];
  runningVar: number[];
}

/** How many standard deviations either side of the mean the range spans. */
export const RANGE_STDS = 4;

const aligned = (n: number) => Math.ceil(Math.max(n, 1) / ALIGN_FLOATS) * ALIGN_FLOATS;

/**
 * Histograms of the BN input and output of the 3x3 layer `layer` (its convolution's name) of a probe graph
 * `target`. `encodeForward` records what fills the target (batch input and forward pass) into the first encoder.
 * With `running` (that BN's running statistics), also the per-channel batch statistics against them: the drift.
 */
export async function bnHistograms(
  gpu: Gpu,
  readback: ReadbackPool,
  target: StepTarget,
  layer: string,
  bins: number,
  encodeForward: (enc: GPUCommandEncoder) => void,
  running?: { mean: BufferRef; variance: BufferRef },
): Promise<{ before: Histogram; after: Histogram; channels?: ChannelStats }> {
  const probes = target.net.probes;
  if (!probes) throw new Error('BN histograms need a probe graph');
  const i = probes.bnInputs.findIndex((r) => r.name === layer);
  if (i < 0) throw new Error(probes.bnInputs.length ? `no 3x3 layer '${layer}' with BatchNorm` : 'this network has no BatchNorm');
  const g = target.net.b.graph;
  const ids = [probes.bnInputs[i].id, probes.responses.find((r) => r.name === layer)!.id];
  const shape = g.tensors[ids[0]].shape;
  const c = shape[1];
  const count = numel(shape);
  // stats: [mean0 | var0 | mean1 | var1], each aligned; counts: [bins0 | bins1] u32, aligned
  const statFloats = 4 * aligned(c);
  const stats = createStorage(gpu, 'bnHistogram.stats', statFloats * 4);
  const counts = createStorage(gpu, 'bnHistogram.counts', 2 * aligned(bins) * 4);
  const slice = (buf: GPUBuffer, from: number, n: number): BufferRef => ({ buffer: buf, offset: from * 4, size: n * 4 });
  try {
    const refs = ids.map((id) => target.compiled.refs.get(id)!);
    const statD = (
      await Promise.all(
        refs.map((x, k) =>
          bnStats(
            gpu,
            `bnHistogram.stats${k}`,
            perChannel(shape),
            x,
            slice(stats, 2 * k * aligned(c), c),
            slice(stats, (2 * k + 1) * aligned(c), c),
            { variant: scratchFreeVariant(gpu.tuning) },
          ),
        ),
      )
    ).flat();
    const histD = await Promise.all(
      refs.map((x, k) => histogram(gpu, `bnHistogram.${k}`, count, bins, x, slice(counts, k * aligned(bins), bins))),
    );
    try {
      const enc = gpu.device.createCommandEncoder({ label: 'bnHistogram.stats' });
      encodeForward(enc);
      let pass = enc.beginComputePass({ label: 'bnHistogram.stats' });
      record(pass, statD);
      pass.end();
      const st = readback.acquire(statFloats * 4);
      enc.copyBufferToBuffer(stats, 0, st, 0, statFloats * 4);
      const rs = running && readback.acquire(2 * c * 4);
      if (running && rs) {
        enc.copyBufferToBuffer(running.mean.buffer, running.mean.offset ?? 0, rs, 0, c * 4);
        enc.copyBufferToBuffer(running.variance.buffer, running.variance.offset ?? 0, rs, c * 4, c * 4);
      }
      gpu.device.queue.submit([enc.finish()]);
      const runRead = rs && readback.read(rs, 2 * c * 4);
      const v = new Float32Array(await readback.read(st, statFloats * 4));
      const r = runRead && new Float32Array(await runRead);
      const channels: ChannelStats | undefined = r && {
        batchMean: Array.from(v.subarray(0, c)),
        batchVar: Array.from(v.subarray(aligned(c), aligned(c) + c)),
        runningMean: Array.from(r.subarray(0, c)),
        runningVar: Array.from(r.subarray(c, 2 * c)),
      };
      const moments = [0, 1].map((k) => {
        const m = v.subarray(2 * k * aligned(c), 2 * k * aligned(c) + c);
        const s = pooledStd(m, v.subarray((2 * k + 1) * aligned(c), (2 * k + 1) * aligned(c) + c));
        const mean = Array.from(m).reduce((a, b) => a + b, 0) / c;
        const half = s > 0 ? RANGE_STDS * s : 1;
        return { mean, std: s, lo: mean - half, hi: mean + half };
      });
      moments.forEach((mo, k) => setHistogramRange(gpu, histD[k], count, bins, mo.lo, mo.hi));
      const enc2 = gpu.device.createCommandEncoder({ label: 'bnHistogram.counts' });
      enc2.clearBuffer(counts);
      pass = enc2.beginComputePass({ label: 'bnHistogram.counts' });
      record(pass, histD);
      pass.end();
      const ct = readback.acquire(counts.size);
      enc2.copyBufferToBuffer(counts, 0, ct, 0, counts.size);
      gpu.device.queue.submit([enc2.finish()]);
      const h = new Uint32Array(await readback.read(ct, counts.size));
      const [before, after] = moments.map((mo, k) => ({
        ...mo,
        counts: Array.from(h.subarray(k * aligned(bins), k * aligned(bins) + bins)),
      }));
      return { before, after, ...(channels ? { channels } : {}) };
    } finally {
      for (const d of [...statD, ...histD]) d.uniforms?.destroy();
    }
  } finally {
    stats.destroy();
    counts.destroy();
  }
}
