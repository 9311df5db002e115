// Which runs the lab measures and overlays: the selected run and the other members of its group (a plain run and
// its residual twin), each in its run colour.
import { useApp } from '../../store';
import { busyKey, useLab, type LabKind, type LabState } from '../../store/lab';
import type { RunView } from '../../store/types';
import { runColor } from '../../lib/palette';

export interface LabRun {
  run: RunView;
  color: string;
  /** Has a network in the worker to measure. */
  live: boolean;
}

export function useLabRuns(): LabRun[] {
  const runs = useApp((s) => s.runs);
  const order = useApp((s) => s.order);
  const selectedId = useApp((s) => s.selectedId);
  const sel = selectedId ? runs[selectedId] : undefined;
  if (!sel) return [];
  const ids = sel.groupId ? order.filter((id) => runs[id].groupId === sel.groupId) : [sel.id];
  return ids.map((id) => {
    const run = runs[id];
    return {
      run,
      color: runColor(order.indexOf(id)),
      live: run.live && run.state !== 'building' && run.state !== 'error' && !run.pendingLoad,
    };
  });
}

export const archOf = (r: RunView) => r.config?.model.arch ?? r.form?.arch;

/** "a, b and c" */
export const listText = (parts: string[]) =>
  parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join('; ')} and ${parts.at(-1)}`;

/** Test images a lab measurement uses: the run's own evaluation size, else `fallback` (the whole split is slow). */
export const labImages = (r: RunView, fallback: number) => (r.config?.evalImages ? r.config.evalImages : fallback);

/**
 * The lab runs and what one instrument has measured of them: the runs with a result (`measured`), whether a
 * measurement of any of them is in flight, and the live ones that can be measured now.
 */
export function useLabResults<R>(kind: LabKind, pick: (s: LabState) => Record<string, R>) {
  const runs = useLabRuns();
  const results = useLab(pick);
  const busy = useLab((s) => s.busy);
  const measured = runs.filter((r) => results[r.run.id]).map((r) => ({ ...r, res: results[r.run.id] }));
  const pending = runs.some((r) => busy[busyKey(kind, r.run.id)]);
  const live = runs.filter((r) => r.live);
  return { runs, measured, pending, live };
}
