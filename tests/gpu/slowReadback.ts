// A test double for the timing of a real GPU under load: every GPUBuffer.mapAsync resolves after an extra random
// delay of 0..maxMs (seeded, so a failure replays), so readbacks complete late and out of order. What it wraps is the
// browser's own mapAsync: the data read is the real data.

/**
 * Installs the delay; returns the function that removes it. `minBytes`: only maps of buffers at least this large are
 * delayed (a run's state snapshots, not its loss readbacks), by exactly maxMs.
 */
export function delayReadbacks(maxMs = 500, seed = 1, minBytes = 0): () => void {
  const proto = GPUBuffer.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, and called with its buffer below
  const original = proto.mapAsync;
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  proto.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>): Promise<undefined> {
    const delay = minBytes > 0 ? (this.size >= minBytes ? maxMs : 0) : rnd() * maxMs;
    return original.apply(this, args).then(
      () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), delay)),
      (e: unknown) => new Promise<undefined>((_, reject) => setTimeout(() => reject(e as Error), delay)),
    );
  };
  return () => {
    proto.mapAsync = original;
  };
}
