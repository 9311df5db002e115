// The only place the page talks to the training worker. Commands go out as they are issued; events come
// back batched: frequent ones (metrics, run states, data progress) are held and delivered together at most
// every FLUSH_MS, so the UI re-renders a few times per second however fast the worker reports.
import type { Command, WorkerEvent } from '../train/protocol';

const FLUSH_MS = 250;
const FREQUENT = new Set<WorkerEvent['type']>(['metrics', 'runState', 'dataProgress', 'evaluation']);

export type EventBatchListener = (events: WorkerEvent[]) => void;

export interface TrainerClient {
  send(cmd: Command): void;
  /** Terminates the worker and starts a fresh one (after a lost device); runs in the old worker are gone. */
  restart(): void;
  dispose(): void;
}

/** Transferable buffers of a command, so large payloads move instead of being copied. */
function transfers(cmd: Command): Transferable[] {
  return cmd.type === 'load' ? [cmd.bytes] : [];
}

/** `init`: the first command every worker gets (a restarted one too): what the page asks of the engine. */
export function createTrainerClient(
  onEvents: EventBatchListener,
  init: Extract<Command, { type: 'init' }> = { type: 'init' },
): TrainerClient {
  let worker: Worker;
  let queue: WorkerEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    onEvents(batch);
  };

  const start = () => {
    worker = new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
    worker.onmessage = (e: MessageEvent<WorkerEvent>) => {
      queue.push(e.data);
      if (!FREQUENT.has(e.data.type)) {
        if (timer !== undefined) clearTimeout(timer);
        flush();
      } else if (timer === undefined) timer = setTimeout(flush, FLUSH_MS);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      queue.push({
        type: 'error',
        code: 'internal',
        message: `The training worker failed: ${e.message || 'unknown error'}.`,
        advice: 'Reload the page; your runs are kept.',
      });
      flush();
    };
    worker.onmessageerror = () => {
      queue.push({
        type: 'error',
        code: 'internal',
        message: 'A message from the training worker could not be read.',
        advice: 'Reload the page; your runs are kept.',
      });
      flush();
    };
    worker.postMessage(init);
  };

  start();
  return {
    send: (cmd) => worker.postMessage(cmd, transfers(cmd)),
    restart: () => {
      worker.terminate();
      queue = [];
      start();
    },
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      worker.terminate();
    },
  };
}
