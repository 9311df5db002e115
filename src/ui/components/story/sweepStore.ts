// The depth sweep's state, kept across reloads (zustand persist, in localStorage: one small JSON document;
// the runs themselves are kept in IndexedDB like every run, persistSync.ts). A factory, so tests give it their
// own storage and "reload" by making a second store over the same storage.
import { create } from 'zustand';
import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware';
import type { FormConfig } from '../../lib/formConfig';
import { makeSweep, type Family, type Sweep } from './sweep';

export interface SweepState {
  sweep?: Sweep;
  /** Replaces the sweep with a new one (queued, active). */
  start: (id: string, base: FormConfig, depths: number[], families?: Family[]) => void;
  /** Stops starting new entries (the running one trains on). */
  stop: () => void;
  clear: () => void;
  update: (f: (s: Sweep) => Sweep) => void;
}

export const SWEEP_KEY = 'resnet-playground-sweep';

export function createSweepStore(storage: () => StateStorage) {
  return create<SweepState>()(
    persist(
      (set) => ({
        sweep: undefined,
        start: (id, base, depths, families) => set({ sweep: makeSweep(id, base, depths, families) }),
        stop: () => set((s) => (s.sweep ? { sweep: { ...s.sweep, active: false } } : {})),
        clear: () => set({ sweep: undefined }),
        update: (f) => set((s) => (s.sweep ? { sweep: f(s.sweep) } : {})),
      }),
      { name: SWEEP_KEY, version: 1, storage: createJSONStorage(storage), partialize: (s) => ({ sweep: s.sweep }) },
    ),
  );
}

const memory = new Map<string, string>();
/** localStorage where the page has it (a Map otherwise, e.g. in a worker or a test without a DOM). */
const pageStorage = (): StateStorage =>
  typeof localStorage !== 'undefined'
    ? localStorage
    : { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => void memory.set(k, v), removeItem: (k) => void memory.delete(k) };

export const useSweep = createSweepStore(pageStorage);
