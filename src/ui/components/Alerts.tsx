// Faults in words with what to do next, stacked in a corner so the layout never moves. A lost GPU gets a
// button that starts a fresh engine (the runs on screen stay).
import { restartEngine } from '../actions';
import { useApp } from '../store';

const TITLES: Record<string, string> = {
  'device-lost': 'The GPU was lost',
  'out-of-memory': 'Out of GPU memory',
  'gpu-limits': 'The GPU is too small',
  'nan-loss': 'Training diverged',
  'bad-data': 'Bad data file',
  'bad-config': 'Configuration problem',
  'bad-checkpoint': 'Checkpoint problem',
  'no-data': 'No data loaded',
  'storage-full': 'Browser storage is full',
  internal: 'Something went wrong',
  'no-webgpu': 'No WebGPU',
};

export function Alerts() {
  const alerts = useApp((s) => s.alerts);
  const dismiss = useApp((s) => s.dismissAlert);
  const lost = useApp((s) => s.engine.status === 'lost');
  return (
    <div className="alerts" aria-live="assertive">
      {lost && (
        <div className="alert lost" role="alert">
          <b>The GPU device was lost.</b> Your runs and their curves are kept.{' '}
          <button type="button" className="small primary" onClick={restartEngine}>
            Restart the GPU engine
          </button>
        </div>
      )}
      {alerts.map((a) => (
        <div key={a.id} className={`alert ${a.code}`} role="alert" data-testid="alert" data-code={a.code}>
          <div>
            <b>
              {TITLES[a.code] ?? 'Problem'}
              {a.runName ? ` in ${a.runName}` : ''}
            </b>
            <p>{a.message}</p>
            <p className="advice">{a.advice}</p>
          </div>
          <button type="button" className="ghost small" aria-label="Dismiss" onClick={() => dismiss(a.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
