// The protocol's kernel-tuning messages (protocol.ts re-exports them): the mode the page asks for, the tuning in
// effect with every result kept for the adapter, and the adapter's facts for the GPU report.
import type { TuneResult } from '../tune/autotune';

export type { TuneResult };

/**
 * How kernels are chosen: 'auto' tunes each network and batch before its first run (the default on a GPU),
 * 'manual' only when asked (the default on a CPU adapter, where it takes about a minute), 'cpu'/'gpu' a fixed profile.
 */
export type TuningMode = 'auto' | 'manual' | 'cpu' | 'gpu';

export interface TuningInfo {
  mode: TuningMode;
  /** The profile untuned layers run (the rule's, or the fixed profile a tuning kept). */
  profile: 'gpu' | 'cpu';
  /** In words: the tuning in effect and why (the header's tooltip). */
  why: string;
  /** Per-layer choices are in effect. */
  tuned: boolean;
  /** Every tuning kept for this adapter (network, batch, per-layer candidate times), oldest first. */
  results: TuneResult[];
  /** A tuning is running now. */
  running: boolean;
}

/** What the GPU report says of the device: the adapter's own words, its limits and features. */
export interface GpuFacts {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features: string[];
  timestamps: boolean;
}
