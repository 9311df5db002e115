// The memory planner's answer to 'planMemory' (src/train/memoryPlan.ts), part of the worker protocol (protocol.ts
// re-exports it): what a config's training step would allocate before anything is built.
/** One planned training step (see 'planMemory'). */
export interface MemoryPlanFigures {
  /** Blocks per recomputed segment (0: no recomputation). */
  every: number;
  activationBytes: number;
  /** Parameters, gradients, momentum and BN statistics. */
  persistentBytes: number;
  /** Extra forward multiply-adds of the recomputation, in % of one forward pass. */
  extraForwardPct: number;
}

/** without: no recomputation; with: segments of `with.every` blocks (the config's choice, else ~sqrt(blocks)); used: what a run of this config would do. */
export interface MemoryPlanEvent {
  type: 'memoryPlan';
  requestId: string;
  without: MemoryPlanFigures;
  with: MemoryPlanFigures;
  usedEvery: number;
  budgetBytes: number;
  /** The largest batch (up to the config's) whose plan fits the budget, without and with recomputation; 0: none. */
  largestBatch: { without: number; with: number };
}
