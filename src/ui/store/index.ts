// The app store: one zustand store made of slices, one per concern. Worker events are applied in
// batches (applyEvents), one state update per batch.
import { create } from 'zustand';
import { PAPER_RECIPE } from '../lib/formConfig';
import { formFromQuery } from '../lib/urlConfig';
import { withAlert } from './alerts';
import { reduceEvents } from './events';
import type { AppState, RunView } from './types';

export type { AppState } from './types';

export const useApp = create<AppState>()((set) => ({
  engine: { status: 'starting' },

  data: { status: 'none', quiet: false },

  form: formFromQuery(typeof location === 'undefined' ? '' : location.search, PAPER_RECIPE),
  setForm: (patch) => set((s) => ({ form: { ...s.form, ...patch } })),

  runs: {},
  order: [],
  select: (id) => set({ selectedId: id, predictions: undefined }),
  addRun: (r) => set((s) => ({ runs: { ...s.runs, [r.id]: r }, order: s.order.includes(r.id) ? s.order : [...s.order, r.id] })),
  patchRun: (id, patch) => set((s) => (s.runs[id] ? { runs: { ...s.runs, [id]: { ...s.runs[id], ...patch } } } : {})),
  removeRun: (id) =>
    set((s) => {
      const { [id]: _, ...runs } = s.runs;
      const order = s.order.filter((x) => x !== id);
      return { runs, order, selectedId: s.selectedId === id ? order.at(-1) : s.selectedId, predictions: s.predictions?.runId === id ? undefined : s.predictions };
    }),

  alerts: [],
  pushAlert: (a) => set((s) => ({ alerts: withAlert(s.alerts, a) })),
  dismissAlert: (id) => set((s) => ({ alerts: s.alerts.filter((a) => a.id !== id) })),

  bnMode: 'eval',
  smoothing: 0.9,
  predicting: false,
  setView: (patch) => set(patch),

  applyEvents: (events) => set((s) => reduceEvents(s, events)),
}));

export const selectedRun = (s: AppState): RunView | undefined => (s.selectedId ? s.runs[s.selectedId] : undefined);
