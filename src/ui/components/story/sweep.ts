// The depth sweep as data: a queue of (family, depth) runs trained one after another, each entry's final
// training and test error once its run ends, and the reference figures of He et al. 2015. Pure: no React, no
// worker; sweepDriver.ts starts the runs, sweepStore.ts keeps the sweep across reloads.
import { lateTrainError } from '../../lib/evidence';
import type { FormConfig } from '../../lib/formConfig';

export type Family = 'residual' | 'plain';

export interface SweepEntry {
  family: Family;
  depth: number;
  status: 'queued' | 'running' | 'done' | 'failed';
  /** The run training this entry (set when it starts). */
  runId?: string;
  /** Final errors in [0, 1]: training (mean over the last tenth of the steps) and test (last evaluation, eval-mode BN). */
  trainErr?: number;
  /** Standard error of trainErr from the spread of the per-batch errors it averages (undefined with one step). */
  trainErrSe?: number;
  testErr?: number;
  steps?: number;
  error?: string;
}

export interface Sweep {
  id: string;
  createdAt: number;
  /** The run settings every entry shares; arch and depth come from the entry. */
  base: FormConfig;
  entries: SweepEntry[];
  /** False once the user stops it: nothing more is started. */
  active: boolean;
}

export const PAPER_DEPTHS = [20, 32, 44, 56];

/** He et al. 2015, Table 6: CIFAR-10 test error (%) of the residual nets. */
export const TABLE6_RESNET: Record<number, number> = { 20: 8.75, 32: 7.51, 44: 7.17, 56: 6.97, 110: 6.43 };

export function makeSweep(
  id: string,
  base: FormConfig,
  depths: readonly number[],
  families: readonly Family[] = ['residual', 'plain'],
  now = Date.now(),
): Sweep {
  const ds = [...new Set(depths)].sort((a, b) => a - b);
  if (ds.length === 0) throw new Error('a sweep needs at least one depth');
  // Interleave the families, shallow first: a stopped sweep still has both families at the depths it reached.
  const entries = ds.flatMap((depth) => families.map((family): SweepEntry => ({ family, depth, status: 'queued' })));
  return { id, createdAt: now, base, entries, active: true };
}

/** The form of an entry's run. */
export const entryForm = (s: Sweep, e: SweepEntry): FormConfig => ({ ...s.base, arch: e.family, depth: e.depth });

/** The next entry to start, or undefined while one is running, the sweep is stopped, or nothing is left. */
export function nextEntry(s: Sweep): number | undefined {
  if (!s.active || s.entries.some((e) => e.status === 'running')) return undefined;
  const i = s.entries.findIndex((e) => e.status === 'queued');
  return i < 0 ? undefined : i;
}

export const isFinished = (s: Sweep) => s.entries.every((e) => e.status === 'done' || e.status === 'failed');

const patch = (s: Sweep, i: number, p: Partial<SweepEntry>): Sweep => ({
  ...s,
  entries: s.entries.map((e, k) => (k === i ? { ...e, ...p } : e)),
});

export const markStarted = (s: Sweep, i: number, runId: string): Sweep => patch(s, i, { status: 'running', runId });

/** What the sweep needs to know of a run (a RunView satisfies it). */
export interface RunOutcome {
  state: string;
  live: boolean;
  step: number;
  metrics: readonly { step: number; trainAcc: number }[];
  evals: readonly { split: string; bnMode: string; accuracy: number; step: number }[];
  error?: string;
}

/**
 * Final errors of a finished run: training over its last tenth of steps, at least two (lateTrainError, with the
 * standard error of that mean from the spread of its per-batch errors), test at its last eval-mode evaluation.
 */
export function finalErrors(r: RunOutcome): { trainErr?: number; trainErrSe?: number; testErr?: number } {
  const late = lateTrainError(r.metrics);
  const tests = r.evals.filter((e) => e.split === 'test' && e.bnMode === 'eval');
  const testErr = tests.length ? 1 - tests[tests.length - 1].accuracy : undefined;
  return { trainErr: late?.mean, trainErrSe: late?.se, testErr };
}

/** What a sweep measured of one family: its shallowest and deepest finished nets' training errors and their difference. */
export interface DepthFinding {
  family: Family;
  shallow: SweepEntry & { trainErr: number };
  deep: SweepEntry & { trainErr: number };
  /** deep - shallow training error, in [0, 1]: positive when the deeper net trains worse. */
  diff: number;
  /** Standard error of diff; undefined when either error has none (a one-step run). */
  se?: number;
  /** |diff| exceeds two standard errors. */
  distinguishable: boolean;
}

/** Per family with two or more finished depths: does the deeper net train worse than the shallower one, beyond noise? */
export function depthFindings(s: Sweep): DepthFinding[] {
  const out: DepthFinding[] = [];
  for (const family of ['plain', 'residual'] as const) {
    const done = s.entries
      .filter((e): e is SweepEntry & { trainErr: number } => e.family === family && e.status === 'done' && e.trainErr !== undefined)
      .sort((a, b) => a.depth - b.depth);
    if (done.length < 2) continue;
    const shallow = done[0];
    const deep = done[done.length - 1];
    const diff = deep.trainErr - shallow.trainErr;
    const se =
      shallow.trainErrSe === undefined || deep.trainErrSe === undefined ? undefined : Math.hypot(shallow.trainErrSe, deep.trainErrSe);
    out.push({ family, shallow, deep, diff, se, distinguishable: se !== undefined && Math.abs(diff) > 2 * se });
  }
  return out;
}

/** One sentence per finding, in percentage points, saying only what the numbers show. */
export function findingText(f: DepthFinding): string {
  const name = (e: SweepEntry) => `${f.family === 'residual' ? 'resnet' : 'plain'}-${e.depth}`;
  const pts = (v: number) => (100 * v).toFixed(1);
  const sign = f.diff >= 0 ? '+' : '−';
  const spread = f.se === undefined ? '' : ` ± ${pts(f.se)}`;
  const how =
    f.se === undefined
      ? 'too few steps to tell from batch noise'
      : !f.distinguishable
        ? 'within batch noise'
        : f.diff > 0
          ? `${name(f.deep)} trains worse`
          : `${name(f.deep)} trains better`;
  return `${name(f.deep)} vs ${name(f.shallow)}: training error ${pts(f.deep.trainErr)}% vs ${pts(f.shallow.trainErr)}% (${sign}${pts(Math.abs(f.diff))}${spread} pts, ${how}).`;
}

/**
 * Follows the running entry's run: done (with its errors) once the run is done (its final test evaluation has
 * come in before); failed when the run errs, is stopped or deleted, or its worker is gone (after a reload).
 */
export function observe(s: Sweep, runs: Record<string, RunOutcome | undefined>): Sweep {
  const i = s.entries.findIndex((e) => e.status === 'running');
  if (i < 0) return s;
  const e = s.entries[i];
  const r = e.runId ? runs[e.runId] : undefined;
  if (!r) return patch(s, i, { status: 'failed', error: 'the run was deleted' });
  if (r.state === 'error') return patch(s, i, { status: 'failed', error: r.error ?? 'the run failed' });
  // 'done' comes after the run's final evaluation (or the error that replaced it): nothing more to wait for.
  if (r.state === 'done') return patch(s, i, { status: 'done', steps: r.step, ...finalErrors(r) });
  if (r.state === 'stopped' || !r.live)
    return patch(s, i, { status: 'failed', error: r.live ? 'the run was stopped' : 'the page was reloaded while it trained' });
  return s;
}

/** After a reload, an entry whose run no longer trains goes back to the queue (its run starts afresh). */
export function requeueInterrupted(s: Sweep, runs: Record<string, RunOutcome | undefined>): Sweep {
  return {
    ...s,
    entries: s.entries.map((e) =>
      e.status === 'running' && !(e.runId && runs[e.runId]?.live) ? { family: e.family, depth: e.depth, status: 'queued' } : e,
    ),
  };
}

/** One row per entry: family, depth, status, steps, final training and test error (%), the paper's test error. */
export function sweepCsv(s: Sweep): string {
  const pct = (v: number | undefined) => (v === undefined ? '' : (100 * v).toFixed(2));
  const rows = s.entries.map((e) =>
    [
      e.family,
      e.depth,
      e.status,
      e.steps ?? '',
      pct(e.trainErr),
      pct(e.testErr),
      pct(e.trainErrSe),
      e.family === 'residual' ? (TABLE6_RESNET[e.depth] ?? '') : '',
    ].join(','),
  );
  return ['family,depth,status,steps,train_error_pct,test_error_pct,train_error_se_pct,paper_test_error_pct', ...rows].join('\n') + '\n';
}

/** Chart rows: one per depth, with each family's measured errors in % and the paper's Table 6 marks (nothing else). */
export function sweepChartRows(s: Sweep): Record<string, number | undefined>[] {
  const depths = [...new Set(s.entries.map((e) => e.depth))].sort((a, b) => a - b);
  const at = (f: Family, d: number) => s.entries.find((e) => e.family === f && e.depth === d && e.status === 'done');
  const pct = (v: number | undefined) => (v === undefined ? undefined : 100 * v);
  return depths.map((depth) => ({
    depth,
    residualTest: pct(at('residual', depth)?.testErr),
    residualTrain: pct(at('residual', depth)?.trainErr),
    plainTest: pct(at('plain', depth)?.testErr),
    plainTrain: pct(at('plain', depth)?.trainErr),
    paper: TABLE6_RESNET[depth],
  }));
}
