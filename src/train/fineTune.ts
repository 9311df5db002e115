// Fine-tuning: a new run's state takes every tensor of the source whose name and shape it shares; the rest (the
// classifier head, when the class count differs) keeps the new run's fresh initialisation.
import type { StateTensor } from '../runtime/arenas';

export interface Merged {
  /** What to write into the new network (a subset of its state). */
  state: Record<string, Float32Array>;
  loaded: string[];
  /** Tensors left as initialised: absent from the source, or of another shape there. */
  fresh: string[];
}

/** `target`: the new network's tensors; `source`: the source's values with their shapes. */
export function loadByName(target: readonly StateTensor[], source: Record<string, { shape: readonly number[]; data: Float32Array }>): Merged {
  const out: Merged = { state: {}, loaded: [], fresh: [] };
  for (const t of target) {
    const s = source[t.name];
    if (s && s.shape.length === t.shape.length && s.shape.every((d, i) => d === t.shape[i])) {
      out.state[t.name] = s.data;
      out.loaded.push(t.name);
    } else out.fresh.push(t.name);
  }
  return out;
}
