// Storage (in the Data panel): how much this app keeps in the browser (the browser's own estimate, and what we
// know per store: cached dataset, checkpoints, saved runs), and buttons that clear each kind.
import { useCallback, useEffect, useState } from 'react';
import { clearDatasetCache, deleteAllCheckpoints, requestStorageInfo } from '../actions';
import { storedFigures, type StoreFigures } from '../lib/persist';
import { useApp } from '../store';
import { useWorkerStorage } from '../store/storage';
import { bytes } from '../lib/format';

interface Figures {
  usage?: number;
  quota?: number;
  runs?: StoreFigures;
  checkpoints?: StoreFigures;
}

// The app's one byte format (binary units, as GPU memory is shown); nothing kept reads "none".
const size = (n: number | undefined) => (n === undefined ? '—' : n === 0 ? 'none' : bytes(n));
const count = (f: StoreFigures | undefined, noun: string) =>
  !f ? '—' : f.count === 0 ? 'none' : `${f.count} ${noun}${f.count === 1 ? '' : 's'} · ${size(f.bytes)}`;

async function measure(): Promise<Figures> {
  const [estimate, stored] = await Promise.all([
    navigator.storage?.estimate?.().catch(() => undefined),
    storedFigures().catch(() => undefined),
  ]);
  return { usage: estimate?.usage, quota: estimate?.quota, runs: stored?.runs, checkpoints: stored?.checkpoints };
}

export function StorageSection() {
  const datasetBytes = useWorkerStorage((s) => s.datasetBytes);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  // Re-measured when the data or the kept checkpoints change (a checkpoint is kept: some run's checkpointStep moves).
  const dataKey = useApp((s) => `${s.data.status}|${s.data.caching}`);
  const ckptKey = useApp((s) => s.order.map((id) => `${s.runs[id].hasCheckpoint}${s.runs[id].checkpointStep}`).join(','));
  const runCount = useApp((s) => s.order.length);
  const [figures, setFigures] = useState<Figures>({});

  const refresh = useCallback(() => {
    if (engineReady) requestStorageInfo();
    void measure().then(setFigures);
  }, [engineReady]);
  useEffect(refresh, [refresh, dataKey, ckptKey, runCount]);

  const clearDataset = () => {
    clearDatasetCache();
    setTimeout(refresh, 300);
  };
  const deleteCheckpoints = async () => {
    const n = figures.checkpoints?.count ?? 0;
    if (
      !confirm(
        `Delete the ${n} checkpoint${n === 1 ? '' : 's'} kept in this browser? The runs stay as curves, but can no longer be resumed or continued.`,
      )
    )
      return;
    await deleteAllCheckpoints();
    refresh();
  };

  return (
    <section className="storage" aria-labelledby="storage-title">
      <h3 id="storage-title">Storage</h3>
      <dl className="storage-figures">
        <dt>Used by this site</dt>
        <dd data-testid="storage-usage">
          {size(figures.usage)}
          {figures.quota !== undefined && <span className="muted"> of {size(figures.quota)} allowed</span>}
        </dd>
        <dt>Cached dataset</dt>
        <dd data-testid="storage-dataset">{size(datasetBytes)}</dd>
        <dt>Checkpoints</dt>
        <dd data-testid="storage-checkpoints">{count(figures.checkpoints, 'checkpoint')}</dd>
        <dt>Saved runs</dt>
        <dd data-testid="storage-runs">{count(figures.runs, 'run')}</dd>
      </dl>
      <div className="storage-actions">
        <button type="button" className="small" onClick={clearDataset} disabled={!engineReady || !datasetBytes}>
          Clear cached dataset
        </button>
        <button type="button" className="small" onClick={() => void deleteCheckpoints()} disabled={!figures.checkpoints?.count}>
          Delete checkpoints
        </button>
        <button type="button" className="small ghost" onClick={refresh} aria-label="Refresh storage figures">
          Refresh
        </button>
      </div>
    </section>
  );
}
