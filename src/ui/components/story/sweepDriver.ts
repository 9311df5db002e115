// Runs the depth sweep: follows the running entry's run in the app store, and starts the next queued entry
// (one run at a time) once the engine and the data are ready. Started after the saved runs are restored, so an
// entry interrupted by a reload is queued again rather than counted as failed.
import { trainForm } from '../../actions';
import { useApp } from '../../store';
import { entryForm, markStarted, nextEntry, observe, requeueInterrupted } from './sweep';
import { useSweep } from './sweepStore';

let started = false;

export function startSweepDriver(): void {
  if (started) return;
  started = true;
  useSweep.getState().update((s) => requeueInterrupted(s, useApp.getState().runs));
  let ticking = false;
  const tick = () => {
    // Starting a run changes the app store, which calls tick again: that inner call must not start another.
    if (ticking) return;
    ticking = true;
    try {
      const s = useSweep.getState().sweep;
      if (!s) return;
      const app = useApp.getState();
      let next = observe(s, app.runs);
      const i = nextEntry(next);
      if (i !== undefined && app.engine.status === 'ready' && app.data.status === 'ready') {
        next = markStarted(next, i, trainForm(entryForm(next, next.entries[i])));
      }
      if (next !== s) useSweep.getState().update(() => next);
    } finally {
      ticking = false;
    }
  };
  useApp.subscribe(tick);
  useSweep.subscribe(tick);
  tick();
}
