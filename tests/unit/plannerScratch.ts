import type { Rng } from '../../src/util/rng';
/** Random per-node scratch sizes for the planner property test (some nodes have none). */
export const scratchBytesForTest = (_id: number, rng: Rng): number[] => (rng.next() < 0.3 ? [4 * (1 + rng.int(100))] : []);
