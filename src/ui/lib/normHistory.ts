// The per-layer norm samples of a run as kept in its stored record (lib/persist.ts): thinned to at most
// STORED_NORM_SAMPLES, evenly over training and always with the first and the latest, the layer names written once,
// so the Gradient-flow map still spans the training after a reload (issue 22: it showed one column).
import type { LayerNorms } from '../../train/protocol';

export interface StoredNorms {
  layers: string[];
  samples: { step: number; grad: number[]; weight: number[] }[];
}

export const STORED_NORM_SAMPLES = 48;

/** Indices of `n` items kept when thinning to `max`: evenly spaced, the first and the last always among them. */
export function thinIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  if (max <= 1) return [n - 1];
  return Array.from({ length: max }, (_, k) => Math.round((k * (n - 1)) / (max - 1)));
}

/** The samples with the latest's layers (a fine-tuned run can change its head), thinned, names once. */
export function packNorms(samples: readonly LayerNorms[] | undefined, max = STORED_NORM_SAMPLES): StoredNorms | undefined {
  const latest = samples?.at(-1);
  if (!latest) return undefined;
  const same = samples!.filter((s) => s.layers === latest.layers || s.layers.join('\n') === latest.layers.join('\n'));
  return {
    layers: latest.layers,
    samples: thinIndices(same.length, max).map((i) => ({ step: same[i].step, grad: same[i].grad, weight: same[i].weight })),
  };
}

const numbers = (a: unknown, n: number): a is number[] =>
  Array.isArray(a) && a.length === n && a.every((v) => typeof v === 'number' || v === null);

/**
 * The samples of a stored record, checked (a damaged or foreign record gives none, not a broken chart), sharing one
 * layers array; `legacy` is the single latest sample that records before this one kept.
 */
export function unpackNorms(runId: string, stored: unknown, legacy?: unknown): LayerNorms[] | undefined {
  const s = stored as Partial<StoredNorms> | undefined;
  if (s && Array.isArray(s.layers) && s.layers.every((l) => typeof l === 'string') && Array.isArray(s.samples)) {
    const layers = s.layers;
    const ok = s.samples.filter((p) => p && Number.isInteger(p.step) && numbers(p.grad, layers.length) && numbers(p.weight, layers.length));
    if (ok.length) return ok.map((p) => ({ runId, step: p.step, layers, grad: p.grad, weight: p.weight }));
  }
  const l = legacy as Partial<LayerNorms> | undefined;
  if (l && Array.isArray(l.layers) && numbers(l.grad, l.layers.length) && numbers(l.weight, l.layers.length) && Number.isInteger(l.step))
    return [{ runId, step: l.step!, layers: l.layers, grad: l.grad, weight: l.weight }];
  return undefined;
}
