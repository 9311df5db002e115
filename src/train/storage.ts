// What the worker keeps in the browser: the decoded dataset (src/data/cache.ts). A write the browser refuses
// for lack of room (a QuotaExceededError, possibly wrapped as the `cause` of our own error) is told apart from
// other storage failures, so the user hears "storage is full" and training goes on without the copy.
import { DATASET_DB_NAME } from '../data/cache';
import type { WorkerEvent } from './protocol';

/** Whether `e`, or an error it wraps (`cause`), is the browser's QuotaExceededError. */
export function isQuotaError(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    if ((x as { name?: unknown }).name === 'QuotaExceededError') return true;
  }
  return false;
}

/** The 'storage-full' error for a dataset of `bytes` the browser had no room to keep. */
export function datasetQuotaEvent(bytes: number): WorkerEvent {
  return {
    type: 'error',
    code: 'storage-full',
    message:
      `The browser has no room to keep the decoded dataset (${(bytes / 1e6).toFixed(0)} MB, IndexedDB '${DATASET_DB_NAME}'). ` +
      'Training works anyway; the data file will be read again after a reload.',
    advice: 'To keep it, free room: delete old checkpoints under Data > Storage, or free disk space, then load the data again.',
  };
}
