// Data: whether CIFAR-10 is loaded, loading it (server copy, a picked or dropped file, a URL) with
// progress, the dataset summary and a few sample images.
import { useEffect, useState, type DragEvent } from 'react';
import { loadData } from '../actions';
import { useApp } from '../store';
import type { DataProgress } from '../store/types';
import { Panel } from './controls';
import { CifarImage } from './images';
import { StorageSection } from './StorageSection';
import { serverHasCopy } from '../lib/serverCopy';

const PHASES: Record<DataProgress['phase'], string> = {
  download: 'Reading',
  decode: 'Decoding',
  upload: 'Uploading to the GPU',
  cache: 'Caching in the browser',
};
const mb = (n: number) => (n / 1e6).toFixed(1);

function progressText(p: DataProgress | undefined): { text: string; fraction?: number } {
  if (!p) return { text: 'Starting…' };
  const fraction = p.totalBytes ? Math.min(1, p.bytesRead / p.totalBytes) : undefined;
  const size = p.totalBytes ? `${mb(p.bytesRead)} / ${mb(p.totalBytes)} MB` : `${mb(p.bytesRead)} MB`;
  const images = p.imagesDecoded ? ` · ${p.imagesDecoded.toLocaleString('en-US')} images` : '';
  return { text: `${PHASES[p.phase]} · ${size}${images}`, fraction };
}

export function DataPanel() {
  const data = useApp((s) => s.data);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  const [url, setUrl] = useState('');
  const [dragging, setDragging] = useState(false);
  // Offered only where the server has a copy (asked once; until the answer comes, offered).
  const [serverCopy, setServerCopy] = useState<boolean | undefined>();
  useEffect(() => {
    void serverHasCopy().then(setServerCopy);
  }, []);
  const busy = data.status === 'loading' && !data.quiet;
  const canLoad = engineReady && !busy;

  const pick = (file: File | undefined) => {
    if (file && canLoad) loadData({ kind: 'file', file, name: file.name }, file.name);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    pick(e.dataTransfer.files[0]);
  };
  const summary = data.summary;
  const progress = progressText(data.progress);

  return (
    <Panel title="Data" className="data-panel">
      <p className="data-status" role="status" aria-live="polite">
        {busy ? (
          <>Loading CIFAR-10 from {data.loadingFrom}…</>
        ) : summary ? (
          <>
            <span className="dot ok" aria-hidden /> CIFAR-10 loaded
          </>
        ) : data.status === 'loading' ? (
          <>Looking for a cached copy…</>
        ) : (
          <>
            <span className="dot" aria-hidden /> CIFAR-10 is not loaded yet.
          </>
        )}
      </p>

      {summary && !busy && (
        <div className="counts data-counts">
          <span>
            <b>{summary.trainCount.toLocaleString('en-US')}</b> train
          </span>
          <span>
            <b>{summary.testCount.toLocaleString('en-US')}</b> test
          </span>
          <span className="muted">{summary.classNames.length} classes</span>
        </div>
      )}

      {busy && (
        <div className="progress-wrap">
          <div
            className="progress"
            role="progressbar"
            aria-label="Data loading progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress.fraction !== undefined ? Math.round(progress.fraction * 100) : undefined}
            aria-valuetext={progress.text}
          >
            <div
              className={`progress-bar ${progress.fraction === undefined ? 'indeterminate' : ''}`}
              style={{ width: progress.fraction !== undefined ? `${(progress.fraction * 100).toFixed(1)}%` : undefined }}
            />
          </div>
          <div className="progress-text">{progress.text}</div>
        </div>
      )}

      {data.error && (
        <div className="inline-error" role="alert">
          <b>{data.error.message}</b> {data.error.advice}
        </div>
      )}

      <div className="data-actions">
        {serverCopy === false ? (
          <p className="muted small" data-testid="no-server-copy">
            This server has no copy of CIFAR-10: pick the file below (<code>cifar-10-binary.tar.gz</code>), or run{' '}
            <code>npm run fetch-data</code> and restart the server.
          </p>
        ) : (
          <button type="button" onClick={() => loadData({ kind: 'server' }, 'the server copy')} disabled={!canLoad}>
            Load server copy
          </button>
        )}
        <label
          className={`drop ${dragging ? 'dragging' : ''} ${canLoad ? '' : 'disabled'}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <input
            type="file"
            accept=".gz,.tgz,.tar,application/gzip,application/x-tar"
            aria-label="CIFAR-10 archive file"
            disabled={!canLoad}
            onChange={(e) => {
              pick(e.target.files?.[0]);
              e.target.value = '';
            }}
          />
          <span>
            Choose or drop <code>cifar-10-binary.tar.gz</code>
          </span>
        </label>
        <form
          className="url-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (url.trim() && canLoad) loadData({ kind: 'url', url: url.trim() }, url.trim());
          }}
        >
          <input
            type="url"
            placeholder="https://…/cifar-10-binary.tar.gz"
            aria-label="Dataset URL"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
          <button type="submit" disabled={!canLoad || !url.trim()}>
            Load URL
          </button>
        </form>
      </div>

      {summary && (
        <div className="data-summary">
          <div className="samples" aria-label="Sample training images">
            {Array.from({ length: Math.min(16, summary.samples.labels.length) }, (_, i) => (
              <CifarImage
                key={i}
                pixels={summary.samples.pixels}
                index={i}
                size={36}
                label={summary.classNames[summary.samples.labels[i]] ?? `class ${summary.samples.labels[i]}`}
              />
            ))}
          </div>
          <p className="muted small">
            Classes: {summary.classNames.join(', ')}. Source: {summary.source}
            {data.caching
              ? ' · saving a copy in this browser… (a reload now would need the file again)'
              : data.cacheKept === true
                ? ' · a copy is kept in this browser: it loads from there after a reload.'
                : data.cacheKept === false
                  ? ' · no copy could be kept in this browser: after a reload, load the file again.'
                  : '.'}
          </p>
        </div>
      )}
      <StorageSection />
    </Panel>
  );
}
