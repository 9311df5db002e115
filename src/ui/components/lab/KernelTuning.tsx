// The Kernel profile tab's tuning: which kernels this GPU runs and why, a button that times every variant of every
// layer of a network here (src/tune/autotune.ts) with a progress bar and Cancel, the per-layer table of what was
// chosen and what each candidate took, and the GPU report to export.
import { useState } from 'react';
import type { RunConfig, TuneResult } from '../../../train/protocol';
import { cancelTuning, exportGpuReport, tuneKernels } from '../../tuningActions';
import { useApp } from '../../store';
import { toRunConfig } from '../../lib/formConfig';

/** resnet20 -> ResNet-20, plain8-w4 -> plain-8 (w4): a tuning's network as the page names networks. */
const modelText = (m: string) => {
  const [head, ...rest] = m.split('-');
  return `${head.replace(/^resnet/, 'ResNet-').replace(/^plain/, 'plain-')}${rest.length ? ` (${rest.join(', ')})` : ''}`;
};
/** The pass a tuned node is, in words. */
const PASS: Record<string, string> = {
  conv2d: 'convolution forward',
  conv2dGradInput: 'convolution input gradient',
  conv2dGradWeight: 'convolution weight gradient',
  batchNorm: 'BN statistics + apply',
  batchNormGrad: 'BN backward',
  linear: 'fc forward',
  linearGradInput: 'fc input gradient',
  linearGradWeight: 'fc weight gradient',
  softmaxXent: 'softmax cross-entropy',
  biasGrad: 'bias gradient',
};

const ms = (x: number | undefined) => (x === undefined ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));

/** The network and batch to tune: the selected run's, else the form's. */
function useTuneTarget(): { model: RunConfig['model']; batch: number; name: string } {
  const selected = useApp((s) => (s.selectedId ? s.runs[s.selectedId] : undefined));
  const form = useApp((s) => s.form);
  const cfg = selected?.config ?? toRunConfig(form);
  const m = cfg.model;
  const extra = [m.width !== undefined && m.width !== 16 ? `w${m.width}` : '', m.shortcut === 'B' ? 'B' : ''].filter(Boolean);
  return {
    model: m,
    batch: cfg.batchSize,
    name: `${m.arch === 'plain' ? 'plain' : 'ResNet'}-${m.depth}${extra.length ? ` (${extra.join(', ')})` : ''}`,
  };
}

export function KernelTuning() {
  const engine = useApp((s) => s.engine);
  const training = useApp((s) => s.order.filter((id) => s.runs[id].live && s.runs[id].state === 'training').length);
  const target = useTuneTarget();
  const info = engine.tuning;
  const progress = engine.tuneProgress;
  const results = info?.results ?? [];
  const [shown, setShown] = useState<number | undefined>(undefined);
  const result = results[shown ?? results.length - 1] as TuneResult | undefined;
  const forced = info?.mode === 'cpu' || info?.mode === 'gpu';
  const ready = engine.status === 'ready';
  return (
    <div className="lab-group tuning" data-testid="kernel-tuning">
      <p className="small" data-testid="tuning-state">
        <strong>{info?.tuned ? 'Tuned for this GPU.' : `Fixed '${engine.profile ?? '…'}' profile.`}</strong>{' '}
        {info?.why ?? engine.profileWhy}.{' '}
        {info?.mode === 'auto' && !forced && 'Each network and batch size is tuned once, before its first run, and kept for this GPU.'}
        {info?.mode === 'manual' &&
          'On a CPU adapter a tuning takes about a minute, so it runs when you ask; the result is kept for this adapter.'}
      </p>
      <div className="lab-actions">
        {!progress ? (
          <button
            type="button"
            className="small"
            disabled={!ready || forced || training > 0}
            onClick={() => tuneKernels(target.model, target.batch)}
          >
            {results.length > 0 ? 'Tune again' : 'Tune kernels'} for {target.name} at batch {target.batch}
          </button>
        ) : (
          <>
            <progress max={Math.max(1, progress.total)} value={progress.done} aria-label="Tuning progress" data-testid="tuning-progress" />
            <span className="small muted">
              Tuning {progress.model ? modelText(progress.model) : target.name} at batch {progress.batch}: {progress.done} of{' '}
              {progress.total} timings{progress.layer ? ` (${progress.layer})` : ''}
            </span>
            <button type="button" className="small" onClick={cancelTuning}>
              Cancel tuning
            </button>
          </>
        )}
        <button type="button" className="small" disabled={!ready} onClick={exportGpuReport}>
          Export GPU report
        </button>
        {forced && <span className="small muted">The address forces a profile (?tuning={info?.mode}): nothing is tuned.</span>}
        {!forced && training > 0 && !progress && (
          <span className="small muted">Pause training runs to tune: timing needs the GPU to itself.</span>
        )}
      </div>
      {engine.tuneNote && (
        <p className="small" role="status" data-testid="tuning-note">
          {engine.tuneNote}
        </p>
      )}
      {results.length > 1 && (
        <label className="small">
          Tuning shown{' '}
          <select value={shown ?? results.length - 1} onChange={(e) => setShown(Number(e.target.value))}>
            {results.map((r, i) => (
              <option key={`${r.model} ${r.batch}`} value={i}>
                {modelText(r.model)}, batch {r.batch}
              </option>
            ))}
          </select>
        </label>
      )}
      {result && <TuneTable r={result} />}
    </div>
  );
}

function TuneTable({ r }: { r: TuneResult }) {
  const step = r.step;
  return (
    <figure className="lab-chart">
      <figcaption className="small" data-testid="tuning-summary">
        {modelText(r.model)}, batch {r.batch}: {r.layers.length} layer shapes tuned in {r.seconds.toFixed(1)} s by{' '}
        {r.timing === 'timestamps' ? 'GPU timestamp queries' : 'wall time until the GPU finished'}
        {r.budgetHit ? ' (the time budget ran out: untimed layers run the profile)' : ''}.{' '}
        {step
          ? `A whole training step: ${step.tunedMs.toFixed(1)} ms with the per-layer choices, ${step.fixedMs.toFixed(1)} ms with the '${step.fixedProfile}' profile. `
          : `The fastest variant of every layer is the one the '${r.base}' profile runs (within the margin), so no whole steps were needed. `}
        Kept: {r.kept === 'tuned' ? 'the per-layer choices' : `the '${r.kept}' profile`}.
      </figcaption>
      <details className="table-scroll" data-testid="tuning-layers">
        <summary className="small">
          Per layer: the variant chosen and every candidate&rsquo;s time ({r.layers.length} layer shapes; [cpu] and [gpu] mark the fixed
          profiles&rsquo; variants)
        </summary>
        <table className="lab-table tune-table">
          <thead>
            <tr>
              <th scope="col">Layer</th>
              <th scope="col">Pass</th>
              <th scope="col">Chosen</th>
              <th scope="col">Every candidate, ms per run</th>
            </tr>
          </thead>
          <tbody>
            {r.layers.map((l) => (
              <tr key={l.key} title={l.key}>
                <td>
                  {l.nodes[0]}
                  {l.nodes.length > 1 && <span className="muted"> +{l.nodes.length - 1} alike</span>}
                </td>
                <td>{PASS[l.kind] ?? l.kind}</td>
                <td>{l.chosen ?? <span className="muted">not timed</span>}</td>
                <td>
                  {l.candidates.map((c) => (
                    <span key={c.label} className={`tune-cand ${c.label === l.chosen ? 'chosen' : ''}`}>
                      {c.label}
                      {c.profiles.length > 0 && <span className="muted"> [{c.profiles.join(', ')}]</span>}: {ms(c.ms)}
                      {c.pruned ? ' (first run; not repeated)' : ''}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
