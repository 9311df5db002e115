// The kernel profile's bars: GPU time and modelled cost per kernel label (`${opKind} ${nodeName}`,
// src/graph/executor.ts) summed by op kind and by layer, largest first.
export interface TimeGroup {
  name: string;
  ms: number;
  /** Share of the whole step, 0..1: of the time, or of the FLOPs when no kernel has a time. */
  share: number;
  kernels: number;
  flops: number;
  /** Bytes read + written (static cost model). */
  bytes: number;
}

interface Kernel {
  label: string;
  ms: number;
  flops?: number;
  bytesRead?: number;
  bytesWritten?: number;
}

/** The layer a node belongs to: its residual block (`layer2.0`), the stem (conv1, bn1), or its own name (fc, loss). */
export function layerOf(node: string): string {
  const block = /^layer\d+\.\d+/.exec(node);
  if (block) return block[0];
  const head = node.split('.')[0];
  return head === 'conv1' || head === 'bn1' ? 'stem' : head;
}

export function groupTimes(kernels: readonly Kernel[], by: 'kind' | 'layer'): TimeGroup[] {
  const groups = new Map<string, TimeGroup>();
  for (const k of kernels) {
    const space = k.label.indexOf(' ');
    const kind = space < 0 ? k.label : k.label.slice(0, space);
    const key = by === 'kind' ? kind : layerOf(space < 0 ? k.label : k.label.slice(space + 1));
    const g = groups.get(key) ?? { name: key, ms: 0, share: 0, kernels: 0, flops: 0, bytes: 0 };
    g.ms += k.ms;
    g.flops += k.flops ?? 0;
    g.bytes += (k.bytesRead ?? 0) + (k.bytesWritten ?? 0);
    g.kernels++;
    groups.set(key, g);
  }
  const out = [...groups.values()];
  // Without timestamp queries every time is 0: the bars then show each group's share of the FLOPs.
  const timed = out.some((g) => g.ms > 0);
  const size = (g: TimeGroup) => (timed ? g.ms : g.flops);
  const total = out.reduce((s, g) => s + size(g), 0);
  for (const g of out) g.share = total > 0 ? size(g) / total : 0;
  return out.sort((a, b) => size(b) - size(a));
}
