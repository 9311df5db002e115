// Smaller training sets and class subsets: which image ids a run trains and is tested on, and, for a subset of
// classes, label buffers that number those classes 0..k-1 (the shared dataset's labels are 0..9).
import type { Gpu } from '../gpu/gpu';
import { uploadNew } from '../gpu/buffers';
import type { GpuSplit, SplitSet } from './gpuDataset';
import type { RunConfig } from './protocol';

/**
 * The ids (in their order) whose labels are in `classes` (all when absent), then at most `count` of them with the
 * same number from each class (the first ones of each class; the remainder goes to the first classes).
 */
export function pickIds(
  ids: Uint32Array,
  labels: Uint8Array,
  opts: { classes?: readonly number[]; count?: number },
): Uint32Array<ArrayBuffer> {
  const keep = opts.classes ? new Set(opts.classes) : undefined;
  const inClass = keep ? Uint32Array.from([...ids].filter((i) => keep.has(labels[i]))) : Uint32Array.from(ids);
  const n = opts.count;
  if (n === undefined || n >= inClass.length) return inClass;
  const classes = opts.classes ?? [...new Set([...inClass].map((i) => labels[i]))].sort((a, b) => a - b);
  const k = classes.length;
  const quota = new Map(classes.map((c, j) => [c, Math.floor(n / k) + (j < n % k ? 1 : 0)]));
  const out: number[] = [];
  for (const i of inClass) {
    const q = quota.get(labels[i]) ?? 0;
    if (q > 0) {
      out.push(i);
      quota.set(labels[i], q - 1);
    }
  }
  // A class with too few images leaves room: fill it with the next images of any class, in order.
  if (out.length < n) {
    const taken = new Set(out);
    for (const i of inClass) if (out.length < n && !taken.has(i)) out.push(i);
  }
  return Uint32Array.from(out.sort((a, b) => a - b));
}

/** Labels 0..k-1 for the classes of `classes`, in order (others -> 0: their images are never picked). */
export function remapLabels(labels: Uint8Array, classes: readonly number[]): Int32Array<ArrayBuffer> {
  const to = new Int32Array(256);
  classes.forEach((c, j) => (to[c] = j));
  return Int32Array.from(labels, (l) => to[l]);
}

/** The run's splits for config.trainImages and config.classes, plus the GPU buffers it now owns (remapped labels). */
export function restrictSplits(gpu: Gpu, id: string, s: SplitSet, c: RunConfig): { splits: SplitSet; owned: GPUBuffer[] } {
  if (c.trainImages === undefined && c.classes === undefined) return { splits: s, owned: [] };
  const owned: GPUBuffer[] = [];
  const relabel = new Map<GpuSplit['source'], GPUBuffer>();
  const labelsOf = (sp: GpuSplit) => {
    if (!c.classes) return sp.labels;
    let b = relabel.get(sp.source);
    if (!b) {
      b = uploadNew(gpu, `${id}.labels.${sp.name}`, remapLabels(sp.source.labels, c.classes));
      owned.push(b);
      relabel.set(sp.source, b);
    }
    return b;
  };
  // The CPU copy too (predictions and the confusion matrix read true labels from it): same images, new labels.
  const sources = new Map<GpuSplit['source'], GpuSplit['source']>();
  const sourceOf = (sp: GpuSplit) => {
    if (!c.classes) return sp.source;
    let out = sources.get(sp.source);
    if (!out) sources.set(sp.source, (out = { ...sp.source, labels: Uint8Array.from(remapLabels(sp.source.labels, c.classes)) }));
    return out;
  };
  const restrict = (sp: GpuSplit, count?: number): GpuSplit => ({
    ...sp,
    labels: labelsOf(sp),
    source: sourceOf(sp),
    ids: pickIds(sp.ids, sp.source.labels, { classes: c.classes, count }),
  });
  return {
    splits: { train: restrict(s.train, c.trainImages), val: s.val && restrict(s.val), test: restrict(s.test), norm: s.norm },
    owned,
  };
}
