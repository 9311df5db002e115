// The selected run's name in the run-controls bar, editable: Enter or leaving the field renames the run (the worker's
// checkpoints and the exported files follow), Escape goes back; a name that cannot be taken says why and changes nothing.
import { useState } from 'react';
import { renameRun } from '../actions';
import type { RunView } from '../store/types';
import { MAX_NAME } from '../lib/runNaming';

export function RunNameField({ run }: { run: RunView | undefined }) {
  if (!run)
    return (
      <div className="stat">
        <span className="stat-label">Run</span>
        <span className="stat-value">—</span>
      </div>
    );
  // Another run selected, or this one renamed: a fresh field showing its name.
  return <NameInput key={`${run.id}\n${run.name}`} run={run} />;
}

function NameInput({ run }: { run: RunView }) {
  const [text, setText] = useState(run.name);
  const [problem, setProblem] = useState<string | undefined>();
  const commit = () => setProblem(renameRun(run.id, text));
  return (
    <div className="stat run-stat">
      <label className="stat-label" htmlFor="run-name-field">
        Run <span className="muted">(rename here)</span>
      </label>
      <input
        id="run-name-field"
        className="stat-value name-field"
        value={text}
        maxLength={MAX_NAME + 20}
        spellCheck={false}
        title={`${run.name}: type a new name, then Enter`}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? 'run-name-problem' : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setProblem(undefined);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          } else if (e.key === 'Escape') {
            setText(run.name);
            setProblem(undefined);
          }
        }}
      />
      {problem && (
        <span id="run-name-problem" className="field-problem small" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}
