// The training worker: protocol Commands in, WorkerEvents out (ArrayBuffers transferred, not copied).
// Start it with `new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' })`.
import type { Command, WorkerEvent } from './protocol';
import { Trainer } from './trainer';
import { errorEvent } from './errors';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: WorkerEvent, transfer: Transferable[] = []) => scope.postMessage(event, transfer);
const trainer = new Trainer(post);

scope.onmessage = (ev: MessageEvent<Command>) => void trainer.handle(ev.data);
scope.addEventListener('unhandledrejection', (ev) => {
  const reason: unknown = ev.reason;
  post(errorEvent('internal', `Unhandled error in the training worker: ${reason instanceof Error ? reason.message : String(reason)}`));
});
