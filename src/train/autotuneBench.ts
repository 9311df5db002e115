// `npm run bench:autotune` (browser) and `npm run bench:node -- --autotune` (Dawn): per network and batch, the
// training speed under each fixed profile and under the autotuner's per-layer choices, measured side by side in
// one process on one device, printed as one JSON line.
import { TUNINGS, type Profile } from '../gpu/tuning';
import type { Engine } from '../index';
import type { BenchConfig } from './benchmark';
import { Rng } from '../util/rng';
import { autotune, gpuWith, type TuneOptions, type TuneResult } from '../tune/autotune';
import { Network } from '../runtime/network';
import type { Gpu } from '../gpu/gpu';

export interface AutotuneLine {
  model: string;
  batch: number;
  /** The profile the adapter's rule picks, as it runs today without tuning. Every images/s: the fastest step. */
  fixed: { profile: Profile; imagesPerSec: number };
  /** The faster of the two fixed profiles. */
  bestFixed: { profile: Profile; imagesPerSec: number };
  /** Both fixed profiles' images/s. */
  profiles: Record<Profile, number>;
  /**
   * What the tuner leaves the device running (kept: the per-layer choices, or the fixed profile whose whole step beat
   * them), and the per-layer choices it found (layer -> variant) with their own speed whichever was kept.
   */
  tuned: { imagesPerSec: number; kept: TuneResult['kept']; perLayerImagesPerSec: number; choices: Record<string, string> };
  /** tuned / bestFixed. */
  speedup: number;
  tuneSeconds: number;
  budgetHit: boolean;
  timing: TuneResult['timing'];
  adapter: string;
  /** Every candidate's time per layer, for bench/GPU.md. */
  layers?: TuneResult['layers'];
  error?: string;
}

/**
 * Images per second of training steps of `c` on each of `gpus` (each carrying its own tuning): every network is
 * built first, then steps go round them one at a time, so a change in the machine's load falls on all of them, in
 * an order rotated each round, so that no network always follows the same one (on SwiftShader a step right after
 * the 'gpu' profile's barrier-heavy one ran 7% slower).
 */
export async function trainSpeeds(gpus: readonly Gpu[], c: BenchConfig, steps: number, warmup: number): Promise<number[]> {
  const nets: Network[] = [];
  try {
    for (const gpu of gpus) nets.push(await Network.create(gpu, c.config, { batchSize: c.batch, seed: 0 }));
    const rng = new Rng(1);
    const images = new Float32Array(c.batch * 3 * 32 * 32).map(() => rng.normal());
    const labels = Int32Array.from({ length: c.batch }, () => rng.int(10));
    const hyper = { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 };
    const times: number[][] = nets.map(() => []);
    for (let s = -warmup; s < steps; s++)
      for (let k = 0; k < nets.length; k++) {
        const i = (k + s + warmup) % nets.length;
        const t0 = performance.now();
        await nets[i].trainStep(images, labels, hyper);
        if (s >= 0) times[i].push(performance.now() - t0);
      }
    return times.map((t) => (c.batch * 1000) / Math.min(...t)); // the fastest step: load only ever adds time
  } finally {
    nets.forEach((n) => n.destroy());
  }
}

/** A layer's short name for the printed choices: its first node, and how many more share its shape. */
const layerName = (l: TuneResult['layers'][number]) => `${l.nodes[0]}${l.nodes.length > 1 ? ` (+${l.nodes.length - 1})` : ''}`;

/** Tunes one configuration and measures it against both fixed profiles; `layers`: include every candidate's time. */
export async function autotuneBench(
  engine: Engine,
  c: BenchConfig,
  o: { steps: number; warmup: number; layers?: boolean; tune?: TuneOptions },
): Promise<AutotuneLine> {
  const gpu = engine.gpu;
  const rule = gpu.tuning.profile;
  try {
    const r = await autotune({ ...gpu, tuning: TUNINGS[rule], layers: undefined }, c.config, c.batch, o.tune);
    const [cpu, gpuSpeed, perLayer] = await trainSpeeds(
      [gpuWith(gpu, 'cpu'), gpuWith(gpu, 'gpu'), gpuWith(gpu, r.base, new Map(Object.entries(r.choices)))],
      c,
      o.steps,
      o.warmup,
    );
    const speed: Record<Profile, number> = { cpu, gpu: gpuSpeed };
    const best: Profile = speed.cpu >= speed.gpu ? 'cpu' : 'gpu';
    const tuned = r.kept === 'tuned' ? perLayer : speed[r.kept];
    const choices: Record<string, string> = {};
    for (const l of r.layers) if (l.chosen) choices[layerName(l)] = l.chosen;
    return {
      model: c.model,
      batch: c.batch,
      fixed: { profile: rule, imagesPerSec: round(speed[rule]) },
      bestFixed: { profile: best, imagesPerSec: round(speed[best]) },
      profiles: { cpu: round(speed.cpu), gpu: round(speed.gpu) },
      tuned: { imagesPerSec: round(tuned), kept: r.kept, perLayerImagesPerSec: round(perLayer), choices },
      speedup: Math.round((tuned / speed[best]) * 1000) / 1000,
      tuneSeconds: Math.round(r.seconds * 10) / 10,
      budgetHit: r.budgetHit,
      timing: r.timing,
      adapter: gpu.adapterName,
      ...(o.layers ? { layers: r.layers } : {}),
    };
  } catch (e) {
    const zero = { profile: rule, imagesPerSec: 0 };
    return {
      model: c.model,
      batch: c.batch,
      fixed: zero,
      bestFixed: zero,
      profiles: { cpu: 0, gpu: 0 },
      tuned: { imagesPerSec: 0, kept: rule, perLayerImagesPerSec: 0, choices: {} },
      speedup: 0,
      tuneSeconds: 0,
      budgetHit: false,
      timing: gpu.hasTimestamps ? 'timestamps' : 'wall',
      adapter: gpu.adapterName,
      error: String(e),
    };
  }
}

const round = (x: number) => Math.round(x * 10) / 10;
