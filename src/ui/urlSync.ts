// Keeps the run form in the URL query (replaceState: typing does not flood the history).
import { useApp } from './store';
import { queryFromForm } from './lib/urlConfig';

export function startUrlSync(): void {
  const write = () => {
    const q = queryFromForm(useApp.getState().form);
    if (location.search.slice(1) !== q) history.replaceState(history.state, '', `${location.pathname}?${q}${location.hash}`);
  };
  write();
  useApp.subscribe((s, prev) => s.form !== prev.form && write());
}
