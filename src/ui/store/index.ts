// The app store: one zustand store made of slices, one per concern. Worker events are applied in
// batches (applyEvents), one state update per batch.
import { create } from 'zustand';
import { LEARN_TWINS, PAPER_RECIPE, type FormConfig } from '../lib/formConfig';
import { readFormQuery } from '../lib/urlConfig';
import { withAlert } from './alerts';
import { reduceEvents } from './events';
import type { Alert, AppState, RunView } from './types';

export type { AppState } from './types';

const search = typeof location === 'undefined' ? '' : location.search;
/** The page was opened without settings in its address (the URL holds them from then on). */
export const FIRST_VISIT = [...new URLSearchParams(search).keys()].length === 0;

/**
 * The form of the link the page was opened with (its settings over the paper's recipe), and an alert listing any of
 * its values that were not usable. A first visit (no settings in the address) starts from the Learn tour's twins:
 * a run of minutes, not the paper's 64,000 steps (days on a laptop's GPU); "Paper recipe" is one click away.
 */
function fromLink(): { form: FormConfig; alerts: Alert[] } {
  const { form, notes } = readFormQuery(search, FIRST_VISIT ? LEARN_TWINS : PAPER_RECIPE);
  if (notes.length === 0) return { form, alerts: [] };
  const message = `Some settings in the link could not be used as written. ${notes.join(' ')}`;
  return {
    form,
    alerts: withAlert([], {
      code: 'bad-config',
      message,
      advice: 'Check the run settings before training; the address now shows the values in use.',
    }),
  };
}
const link = fromLink();

export const useApp = create<AppState>()((set) => ({
  engine: { status: 'starting' },

  data: { status: 'none', quiet: false },

  form: link.form,
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
      return {
        runs,
        order,
        selectedId: s.selectedId === id ? order.at(-1) : s.selectedId,
        predictions: s.predictions?.runId === id ? undefined : s.predictions,
      };
    }),

  alerts: link.alerts,
  pushAlert: (a) => set((s) => ({ alerts: withAlert(s.alerts, a) })),
  dismissAlert: (id) => set((s) => ({ alerts: s.alerts.filter((a) => a.id !== id) })),

  bnMode: 'eval',
  smoothing: 0.9,
  predicting: false,
  setView: (patch) => set(patch),

  applyEvents: (events) => set((s) => reduceEvents(s, events)),
}));

export const selectedRun = (s: AppState): RunView | undefined => (s.selectedId ? s.runs[s.selectedId] : undefined);
