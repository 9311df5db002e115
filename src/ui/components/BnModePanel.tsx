// BatchNorm mode: evaluate the selected network with BN in eval mode (running statistics) or train mode
// (batch statistics), and show both test accuracies side by side with the step each was measured at.
import { useState } from 'react';
import { evaluate } from '../actions';
import { pct } from '../lib/format';
import { selectedRun, useApp } from '../store';
import { Segmented } from './controls';
import { latestTestAcc } from './RunList';

export function BnModePanel() {
  const run = useApp(selectedRun);
  const bnMode = useApp((s) => s.bnMode);
  const setView = useApp((s) => s.setView);
  const live = !!run?.live && run.state !== 'building' && run.state !== 'error';
  const acc = { eval: run && latestTestAcc(run, 'eval'), train: run && latestTestAcc(run, 'train') };
  // "Evaluate both" was pressed for this run at this step: said until both modes have a point of that step.
  const [asked, setAsked] = useState<{ id: string; step: number } | undefined>();
  const pending = asked && run?.id === asked.id ? asked : undefined;
  const measured = pending && (['eval', 'train'] as const).every((m) => (acc[m]?.step ?? -1) >= pending.step);

  /**
   * Shows `mode`; measures it now when the network has no such point yet or has moved on since while not
   * training (a training run measures both modes at its next evaluation anyway).
   */
  const choose = (mode: 'eval' | 'train') => {
    setView({ bnMode: mode });
    if (!run || !live) return;
    const stale = (m: 'eval' | 'train') => !acc[m] || (run.state !== 'training' && acc[m].step !== run.step);
    const modes = ([mode, mode === 'eval' ? 'train' : 'eval'] as const).filter(stale);
    if (modes.length) evaluate(run.id, [...modes]);
  };

  return (
    <section className="panel bn-panel" aria-labelledby="bn-title">
      <header className="panel-head">
        <h2 id="bn-title">BatchNorm at test time</h2>
      </header>
      <div className="bn-row">
        <Segmented
          label="BatchNorm mode"
          value={bnMode}
          options={[
            { value: 'train', label: 'Train', title: 'Normalise with the statistics of each test batch' },
            { value: 'eval', label: 'Eval', title: 'Normalise with the running statistics gathered in training' },
          ]}
          onChange={choose}
        />
        <button
          type="button"
          className="small"
          disabled={!live}
          onClick={() => {
            if (!run) return;
            setAsked({ id: run.id, step: run.step });
            evaluate(run.id, ['eval', 'train']);
          }}
        >
          Evaluate both
        </button>
        {pending && (
          <span className="muted small" data-testid="bn-evaluating" aria-live="polite">
            {measured ? `Both measured at step ${pending.step}.` : `Evaluating both modes at step ${pending.step}…`}
          </span>
        )}
      </div>
      <div className="bn-accs">
        {(['eval', 'train'] as const).map((m) => (
          <div key={m} className={`bn-acc ${bnMode === m ? 'on' : ''}`} data-testid={`bn-acc-${m}`}>
            <span className="muted small">Test accuracy, BN {m} mode</span>
            <b>{pct(acc[m]?.accuracy)}</b>
            <span className="muted small">
              {acc[m] ? `step ${acc[m].step} · ${acc[m].images.toLocaleString('en-US')} images` : 'not measured'}
            </span>
          </div>
        ))}
      </div>
      <p className="muted small">Every test point carries its mode: solid lines in the error chart are BN eval, dotted BN train.</p>
      {run?.config?.fineTune?.train === 'head' && (
        <p className="small" data-testid="bn-frozen">
          This run fine-tunes its head only: its BatchNorm layers are frozen, using the loaded running statistics in training as at test
          time, so both modes measure the same network.
        </p>
      )}
    </section>
  );
}
