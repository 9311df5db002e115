// What the worker reports of the browser storage it uses (the dataset cache). Its own small store: it changes
// rarely and only the Storage section reads it.
import { create } from 'zustand';

export interface WorkerStorage {
  /** Bytes of the cached dataset; undefined until the worker knows (it reads or writes the cache, or clears it). */
  datasetBytes?: number;
}

export const useWorkerStorage = create<WorkerStorage>()(() => ({}));
