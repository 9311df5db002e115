// Keeps the run form in the URL query (replaceState: typing does not flood the history). ?tuning= is the page's, not
// the form's: it stays, so a reload keeps a forced profile.
import { useApp } from './store';
import { queryFromForm } from './lib/urlConfig';

export function startUrlSync(): void {
  const write = () => {
    const tuning = new URLSearchParams(location.search).get('tuning');
    const q = queryFromForm(useApp.getState().form) + (tuning === null ? '' : `&${new URLSearchParams({ tuning })}`);
    if (location.search.slice(1) !== q) history.replaceState(history.state, '', `${location.pathname}?${q}${location.hash}`);
  };
  write();
  useApp.subscribe((s, prev) => s.form !== prev.form && write());
}
