// How long one invocation may loop. Mesa's llvmpipe (behind lavapipe, the Vulkan driver Firefox's WebGPU runs
// on where there is no GPU) stops a shader invocation's loops after 65,535 iterations counted over all of them,
// nested ones included (each pass of an outer loop counts too), and the invocation carries on with whatever it
// had: a sum over 131,072 values silently comes back as the sum of about the first 65,535. Measured in Firefox
// 153 on lavapipe (Mesa 22.3): one loop stops at 65,535 for any bound above it; 1000 x 200 nested iterations
// stop at 64,887. Other implementations have no such limit, but a kernel must be right on all of them, so every
// wrapper declares the most loop iterations one invocation of its dispatch makes (Dispatch.loops) and
// prepare() refuses a dispatch past the limit: a wrapper whose loops grow with the data picks a variant that
// splits the work over invocations or workgroups before it gets there.
export const MAX_LOOP_ITERATIONS = 65_535;

/** Iterations of a `for (i = start; i < end; i += step)` loop (0 when it does not run). */
export const strided = (start: number, end: number, step: number) => (end > start ? Math.ceil((end - start) / step) : 0);

/**
 * How many splits to cut `items` (a GEMM's summed batches, a weight gradient's images) into so that one invocation
 * looping over a split's ceil(items / splits) items, `perItem` iterations each, plus `fixed` more, stays within
 * MAX_LOOP_ITERATIONS; at least `want` (a tuning's split-K), and never an empty split.
 */
export function splitsWithin(items: number, perItem: number, fixed: number, want = 1): number {
  const most = Math.floor((MAX_LOOP_ITERATIONS - fixed) / perItem);
  if (most < 1) throw new Error(`one item loops ${perItem + fixed} times, past the ${MAX_LOOP_ITERATIONS} some drivers allow (loops.ts)`);
  const per = Math.min(Math.ceil(items / Math.max(1, want)), most);
  return Math.ceil(items / per);
}
