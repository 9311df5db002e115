// The kernel profile's bars: GPU time per kernel label (`${opKind} ${nodeName}`, src/graph/executor.ts) summed by
// op kind and by layer, largest first.
export interface TimeGroup {
  name: string;
  ms: number;
  /** Share of the whole step, 0..1. */
  share: number;
  kernels: number;
}

/** The layer a node belongs to: its residual block (`layer2.0`), the stem (conv1, bn1), or its own name (fc, loss). */
export function layerOf(node: string): string {
  const block = /^layer\d+\.\d+/.exec(node);
  if (block) return block[0];
  const head = node.split('.')[0];
  return head === 'conv1' || head === 'bn1' ? 'stem' : head;
}

export function groupTimes(kernels: readonly { label: string; ms: number }[], by: 'kind' | 'layer'): TimeGroup[] {
  const total = kernels.reduce((s, k) => s + k.ms, 0);
  const groups = new Map<string, TimeGroup>();
  for (const k of kernels) {
    const space = k.label.indexOf(' ');
    const kind = space < 0 ? k.label : k.label.slice(0, space);
    const key = by === 'kind' ? kind : layerOf(space < 0 ? k.label : k.label.slice(space + 1));
    const g = groups.get(key) ?? { name: key, ms: 0, share: 0, kernels: 0 };
    g.ms += k.ms;
    g.kernels++;
    groups.set(key, g);
  }
  const out = [...groups.values()];
  for (const g of out) g.share = total > 0 ? g.ms / total : 0;
  return out.sort((a, b) => b.ms - a.ms);
}
