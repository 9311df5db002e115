// Inspect: test images with predicted and true labels, and the confusion matrix of the selected network.
import { predict } from '../actions';
import { pct } from '../lib/format';
import { selectedRun, useApp } from '../store';
import { CifarImage } from './images';

export function InspectPanel() {
  const run = useApp(selectedRun);
  const bnMode = useApp((s) => s.bnMode);
  const p = useApp((s) => s.predictions);
  const predicting = useApp((s) => s.predicting);
  const classes = useApp((s) => s.data.summary?.classNames) ?? [
    'airplane',
    'automobile',
    'bird',
    'cat',
    'deer',
    'dog',
    'frog',
    'horse',
    'ship',
    'truck',
  ];
  const live = !!run?.live && run.state !== 'building' && run.state !== 'error';
  const shown = p && run && p.runId === run.id ? p : undefined;
  const max = shown ? Math.max(1, ...shown.confusion.flat()) : 1;

  return (
    <section className="panel inspect-panel" aria-labelledby="inspect-title">
      <header className="panel-head">
        <h2 id="inspect-title">Inspect{run ? `: ${run.name}` : ''}</h2>
        <div className="panel-actions">
          <button type="button" className="small" disabled={!live || predicting} onClick={() => run && predict(run.id, bnMode)}>
            {predicting ? 'Predicting…' : `Show predictions (BN ${bnMode})`}
          </button>
        </div>
      </header>
      {!shown ? (
        <p className="muted small">
          {live
            ? 'Show the network’s predictions on test images and its confusion matrix.'
            : 'Select a live run to inspect its predictions.'}
        </p>
      ) : (
        <div className="inspect">
          <div>
            <p className="small">
              Accuracy <b>{pct(shown.accuracy)}</b> · BN {shown.bnMode} mode · step {shown.step}
            </p>
            <ul className="pred-grid" aria-label="Test images with predicted and true labels">
              {Array.from(shown.labels, (label, i) => {
                const ok = shown.predicted[i] === label;
                return (
                  <li key={i} className={ok ? 'ok' : 'bad'}>
                    <CifarImage
                      pixels={shown.pixels}
                      index={i}
                      size={48}
                      label={`true ${classes[label]}, predicted ${classes[shown.predicted[i]]}`}
                    />
                    <span className="pred">{classes[shown.predicted[i]]}</span>
                    {!ok && <span className="truth">{classes[label]}</span>}
                  </li>
                );
              })}
            </ul>
          </div>
          <div className="confusion-wrap" data-overflow-ok>
            <table className="confusion" aria-label="Confusion matrix (rows: true class, columns: predicted class)">
              <thead>
                <tr>
                  <th scope="col" className="corner">
                    true \ pred
                  </th>
                  {classes.map((c) => (
                    <th key={c} scope="col" className="col-name">
                      <span>{c}</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {shown.confusion.map((row, i) => (
                  <tr key={i}>
                    <th scope="row">{classes[i]}</th>
                    {row.map((n, j) => (
                      <td
                        key={j}
                        className={i === j ? 'diag' : ''}
                        style={{ background: n ? `rgba(${i === j ? '37,99,235' : '234,88,12'},${0.1 + (0.8 * n) / max})` : undefined }}
                        title={`${n} × true ${classes[i]} predicted ${classes[j]}`}
                      >
                        {n || ''}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
