// The checkpoints the page asked the worker for and not yet answered, by request id: whose, and why (to download
// the file, or to keep it in the browser). The worker's answer ('checkpoint', or an 'error') carries the id, so
// answers are matched to their request whatever order they come in; a run deleted, failed or rebuilt on a new
// device drops its requests, whose answers will never come (and no later request waits behind them).

export type SaveWhy = 'download' | 'keep';

export class SaveRequests {
  private readonly pending = new Map<string, { runId: string; why: SaveWhy }>();
  private counter = 0;

  /** A new request for run `runId`'s checkpoint; returns its id for the 'save' command. */
  ask(runId: string, why: SaveWhy): string {
    const id = `save${++this.counter}`;
    this.pending.set(id, { runId, why });
    return id;
  }

  /** The answer to `requestId` came: why it was asked, or undefined when this page did not ask it (or dropped it). */
  answer(requestId: string): SaveWhy | undefined {
    const p = this.pending.get(requestId);
    this.pending.delete(requestId);
    return p?.why;
  }

  /** Whether a request of run `runId` for `why` is on its way. */
  waiting(runId: string, why: SaveWhy): boolean {
    for (const p of this.pending.values()) if (p.runId === runId && p.why === why) return true;
    return false;
  }

  /** Forgets the requests of `runId` (default: of every run, as when the worker restarts). */
  drop(runId?: string): void {
    for (const [id, p] of this.pending) if (runId === undefined || p.runId === runId) this.pending.delete(id);
  }
}
