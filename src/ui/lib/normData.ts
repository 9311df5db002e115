// The per-layer norms chart's series (ChartPlots.tsx NormPlot), derived from one layer-norm sample and cached per
// sample. Only the plots chunk imports this (Charts.tsx takes the NormKind type), so it loads with recharts.
import type { LayerNorms } from '../../train/protocol';

export type NormKind = 'grad' | 'weight' | 'ratio';

export interface NormPoint {
  /** Relative depth along the main path: 0 = the first layer (input side), 1 = the last (fc). */
  x: number;
  /** The norm (or ratio); null where a log axis cannot show it (zero, negative, not finite): a gap. */
  v: number | null;
  /** log10(v), what the chart plots: a linear axis of decades (recharts' own log scale breaks on zeros and gaps). */
  lg: number | null;
  layer: string;
  /** 1-based position among the main-path layers, of `count` (a projection shortcut: its block's). */
  index: number;
  count: number;
  step: number;
}

export interface NormSeries {
  /** The main path, input to output: the line. */
  main: NormPoint[];
  /** Option-B projection shortcuts (`layer2.0.shortcut.0.weight`): a side branch, drawn as dots at their block. */
  side: NormPoint[];
}

const SHORTCUT = /(^|\.)shortcut\./;
export const isShortcut = (layer: string) => SHORTCUT.test(layer);
const normCache = new WeakMap<LayerNorms, Partial<Record<NormKind, NormSeries>>>();

const normValue = (n: LayerNorms, i: number, kind: NormKind): Pick<NormPoint, 'v' | 'lg'> => {
  const v = kind === 'grad' ? n.grad[i] : kind === 'weight' ? n.weight[i] : n.grad[i] / n.weight[i];
  return Number.isFinite(v) && v > 0 ? { v, lg: Math.log10(v) } : { v: null, lg: null };
};

/**
 * One sample's norms as points along the depth. x is the relative depth of the layer on the main path, not its
 * index: runs of different depths then share both ends and their stage boundaries (each stage is a third of a
 * CIFAR ResNet at any depth), so "the first layers" and "the last layers" sit at the same place for every run,
 * and twins (plain vs residual of one depth) line up layer by layer. Projection shortcuts are left out of the
 * line (a plain net has none, so they would shift the residual twin's layers against the plain twin's).
 */
export function normSeries(n: LayerNorms, kind: NormKind): NormSeries {
  let byKind = normCache.get(n);
  const hit = byKind?.[kind];
  if (hit) return hit;
  const mainIdx: number[] = [];
  const sideIdx: number[] = [];
  n.layers.forEach((name, i) => (isShortcut(name) ? sideIdx : mainIdx).push(i));
  const count = mainIdx.length;
  const xOf = (k: number) => (count > 1 ? k / (count - 1) : 0);
  const main = mainIdx.map((i, k): NormPoint => ({
    x: xOf(k),
    ...normValue(n, i, kind),
    layer: n.layers[i],
    index: k + 1,
    count,
    step: n.step,
  }));
  const position = new Map(main.map((p) => [p.layer, p]));
  const side = sideIdx.map((i): NormPoint => {
    const name = n.layers[i];
    // At its block's first convolution (the projection reads the block's input); else at the layer before it.
    const prevMain = mainIdx.filter((j) => j < i).length - 1;
    const at = position.get(name.replace(/shortcut\..*$/, 'conv1.weight')) ?? main[Math.max(0, prevMain)];
    return { x: at?.x ?? 0, ...normValue(n, i, kind), layer: name, index: at?.index ?? 1, count, step: n.step };
  });
  const out = { main, side };
  if (!byKind) normCache.set(n, (byKind = {}));
  byKind[kind] = out;
  return out;
}

/** The decades (powers of ten, as exponents) the values span, and integer ticks; undefined when there is none. */
export function decades(values: Iterable<number | null>): { domain: [number, number]; ticks: number[] } | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(lo <= hi)) return undefined;
  let a = Math.floor(Math.log10(lo));
  let b = Math.ceil(Math.log10(hi));
  if (a === b) [a, b] = [a - 1, b + 1];
  const every = Math.max(1, Math.ceil((b - a) / 7)); // at most 8 labels, the domain ending on one
  b = a + every * Math.ceil((b - a) / every);
  const ticks: number[] = [];
  for (let e = a; e <= b; e += every) ticks.push(e);
  return { domain: [a, b], ticks };
}
