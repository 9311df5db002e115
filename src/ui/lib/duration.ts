// How long a run will take on this device, said before it starts (issue 22): the work is counted in multiply-adds
// (model/counts.ts; a training step costs about three forward passes: forward, and a backward twice its size), and
// the device's speed is what its own runs measured (images/s x multiply-adds per image), or before any run what the
// worker's speed probe measured when the page opened (src/train/speedProbe.ts).
import { countFlops } from '../../model/counts';
import type { SpeedProbe } from '../../train/protocol';
import type { RunView } from '../store/types';
import { toRunConfig, type FormConfig } from './formConfig';

/** Multiply-adds per image: a training step (forward + backward) and an inference (forward). */
export function macsPerImage(form: FormConfig): { train: number; infer: number } {
  const infer = countFlops(toRunConfig(form).model);
  return { train: 3 * infer, infer };
}

/** Steps the form asks for (epochs over 50,000 training images, or fewer with a training subset). */
export function stepsOf(form: FormConfig): number {
  if (form.lengthUnit === 'steps') return form.length;
  return Math.max(1, Math.round((form.length * (form.trainImages ?? 50_000)) / form.batch));
}

/** All the multiply-adds of one run of `form`: its training steps and its test evaluations. */
export function runMacs(form: FormConfig): number {
  const m = macsPerImage(form);
  const steps = stepsOf(form);
  const evals = (form.evalEvery > 0 ? Math.floor(steps / form.evalEvery) : 0) + 1;
  const modes = form.bn ? 2 : 1;
  return steps * form.batch * m.train + evals * modes * (form.evalImages || 10_000) * m.infer;
}

export interface DeviceSpeed {
  /** Training multiply-adds per second. */
  macsPerSec: number;
  /** The run it was measured on, or 'speed test'. */
  from: string;
  /** Where the figure comes from, in words: "at the speed resnet-8 measured". */
  said: string;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** 5.1e14 -> "5.1·10^14" (as the README writes it). */
function scientific(x: number): string {
  const e = Math.floor(Math.log10(x));
  return `${(x / 10 ** e).toFixed(1)}·10^${e}`;
}

/**
 * This device's training speed from its runs in this session (live ones: their speed was measured here): the median
 * images/s of a run's last 20 steps times its multiply-adds per image, from the run measured most recently. Before
 * any run has taken 3 steps, the speed probe's figure; undefined without either.
 */
export function deviceSpeed(runs: readonly RunView[], probe?: SpeedProbe): DeviceSpeed | undefined {
  let best: { macsPerSec: number; from: string; at: number } | undefined;
  for (const r of runs) {
    if (!r.live || !r.form) continue;
    const rates = r.metrics
      .slice(-20)
      .map((p) => p.imagesPerSec)
      .filter((x) => x > 0 && Number.isFinite(x));
    if (rates.length < 3) continue;
    const at = r.createdAt;
    if (best && at < best.at) continue;
    best = { macsPerSec: median(rates) * macsPerImage(r.form).train, from: r.name, at };
  }
  if (best) return { macsPerSec: best.macsPerSec, from: best.from, said: `at the speed ${best.from} measured` };
  if (!probe || !(probe.imagesPerSec > 0)) return undefined;
  const steps = probe.steps === 1 ? 'one step' : `${probe.steps} steps`;
  return {
    macsPerSec: probe.imagesPerSec * probe.trainMacsPerImage,
    from: 'speed test',
    said: `at the speed a short test measured: ${steps} of ${probe.model} at batch ${probe.batch}`,
  };
}

/** Why there is no speed yet, in words (estimateText's `unmeasured`): the probe runs, it failed, or it was not asked for. */
export function unmeasuredWhy(probing: boolean, probeError: string | undefined): string {
  if (probing) return 'measuring it now';
  if (probeError) return `the speed test failed (${probeError}); a first run's images/s shows it`;
  return "a first run's images/s shows it, or “Measure speed”";
}

/** "40 s", "12 min", "3.5 h", "2.1 days". */
export function durationText(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** What a plan of `macs` multiply-adds will take here, in words; `unmeasured`: why there is no speed (unmeasuredWhy). */
export function estimateText(macs: number, speed: DeviceSpeed | undefined, unmeasured = "a first run's images/s shows it"): string {
  const work = `${scientific(macs)} multiply-adds`;
  if (!speed) return `${work}; this device's speed is not measured yet (${unmeasured})`;
  return `about ${durationText(macs / speed.macsPerSec)} here (${work}, ${speed.said})`;
}
