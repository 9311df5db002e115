// A bounded CPU burner for the end-to-end specs whose correctness must not depend on timing (E2E_LOAD=1, as
// scripts/test.mjs runs them a second time): one child process per core busy-loops, so the browser, its GPU
// emulation and the preview server fight for the CPU as on a loaded machine. Each child stops by itself after
// `maxMs` (the spec's timeout), and the spec ends it sooner when it finishes.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Whether this run puts the machine under load (E2E_LOAD=1). */
export const underLoad = process.env.E2E_LOAD === '1';

/** Starts one busy-looping child per core for at most `maxMs`; returns what ends them all now. */
export function burnCpu(maxMs: number, cores = availableParallelism()): () => void {
  const loop = `const end = Date.now() + ${Math.max(1, Math.floor(maxMs))}; let x = 0; while (Date.now() < end) x = (x * 1664525 + 1013904223) >>> 0;`;
  const children: ChildProcess[] = [];
  for (let i = 0; i < cores; i++) children.push(spawn(process.execPath, ['-e', loop], { stdio: 'ignore' }));
  return () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
}
