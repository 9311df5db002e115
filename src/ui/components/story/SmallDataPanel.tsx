// Small data overfits; transfer helps. "Training images" limits the training set of runs started from the form;
// "Fine-tune from checkpoint" starts a run on a few CIFAR classes from another run's weights (loaded by name, the
// head re-initialised), training the head only or everything, with its from-scratch twin beside it.
import { useMemo, useState } from 'react';
import type { LabelledImages, RunConfig, WeightsSource } from '../../../train/protocol';
import { decodeFolder } from '../../lib/imageFolders';
import { startConfigured } from '../../actions';
import { fromRunConfig, toRunConfig } from '../../lib/formConfig';
import { loadCheckpoint } from '../../lib/persist';
import { useApp } from '../../store';
import { InputSizeSelect, Panel, Segmented } from '../controls';
import { overfitGap } from '../../lib/evidence';

const SIZES = [500, 1000, 5000];

export function SmallDataPanel() {
  const form = useApp((s) => s.form);
  const setForm = useApp((s) => s.setForm);
  return (
    <Panel title="Small data and transfer" className="story-panel">
      <p className="muted">
        A deep net can fit a small training set almost perfectly (Zhang et al. 2017 fit even randomly labelled CIFAR-10) while its test
        error stays high: overfitting. Yosinski et al. (2014) find that starting from weights learned on other data helps most when the new
        data set is small. Try it: the readout below says what your own latest small-data run shows.
      </p>
      <div className="field">
        <label className="field-label" htmlFor="train-images">
          Training images
        </label>
        <select
          id="train-images"
          value={form.trainImages ?? 0}
          onChange={(e) => setForm({ trainImages: Number(e.target.value) || undefined })}
        >
          {SIZES.map((n) => (
            <option key={n} value={n}>
              {n.toLocaleString('en-US')}
            </option>
          ))}
          <option value={0}>All</option>
        </select>
        <span className="hint">For runs started from the form; the same number from each class.</span>
      </div>
      <SmallDataReadout />
      <FineTune />
    </Panel>
  );
}

function FineTune() {
  // Two stable selections (a selector that builds a new array each call would re-render forever).
  const order = useApp((s) => s.order);
  const byId = useApp((s) => s.runs);
  const runs = useMemo(() => order.map((id) => byId[id]).filter((r) => r !== undefined), [order, byId]);
  const form = useApp((s) => s.form);
  const classNames = useApp((s) => s.data.summary?.classNames) ?? [];
  const sources = runs.filter((r) => r.config && (r.live || r.hasCheckpoint) && !r.pendingLoad);
  const [sourceId, setSourceId] = useState<string>('');
  const [classes, setClasses] = useState<number[]>([0, 1, 2]);
  const [train, setTrain] = useState<'head' | 'all'>('head');
  const [imageSize, setImageSize] = useState(32);
  const [busy, setBusy] = useState(false);
  const [folder, setFolder] = useState<(LabelledImages & { skipped: number }) | undefined>();
  const [decoding, setDecoding] = useState(false);
  const pickFolder = async (files: FileList | null) => {
    if (!files || files.length === 0) return setFolder(undefined);
    setDecoding(true);
    try {
      setFolder(await decodeFolder([...files]));
    } finally {
      setDecoding(false);
    }
  };
  const source = sources.find((r) => r.id === sourceId) ?? sources.at(-1);

  const start = async () => {
    if (!source?.config) return;
    setBusy(true);
    try {
      let from: WeightsSource;
      if (source.live) from = { kind: 'run', runId: source.id };
      else {
        const kept = await loadCheckpoint(source.id);
        if (!kept) return;
        from = { kind: 'file', bytes: kept.bytes };
      }
      const k = folder ? folder.classNames.length : classes.length;
      // The source's network, the form's training settings, k classes (of CIFAR-10, or the folder's).
      const train0 = toRunConfig({
        ...form,
        arch: source.config.model.arch,
        depth: source.config.model.depth,
        width: source.config.model.width ?? 16,
      });
      const base: RunConfig = {
        ...train0,
        model: { ...source.config.model, classes: k },
        imageSize: imageSize === 32 ? undefined : imageSize,
        ...(folder
          ? { batchSize: Math.max(1, Math.min(train0.batchSize, Math.floor(folder.labels.length * 0.75))), trainImages: undefined }
          : { classes: [...classes].sort((a, b) => a - b) }),
      };
      const tag = `${folder ? `${k} folders` : `${k} classes`}${imageSize === 32 ? '' : ` ${imageSize}px`}`;
      const fine: RunConfig = { ...base, fineTune: { from: source.name, train } };
      const f = fromRunConfig(base);
      const images = folder ? { classNames: folder.classNames, images: folder.images, labels: folder.labels } : undefined;
      const twin = startConfigured(f, base, `${source.name} scratch ${tag}`, (runId, name) =>
        images ? undefined : { type: 'createRun', runId, name, config: base, start: true },
      );
      startConfigured(f, fine, `${source.name} fine-tune ${train === 'head' ? 'head' : 'all'} ${tag}`, (runId, name) => ({
        type: 'fineTune',
        runId,
        name,
        config: fine,
        from,
        start: true,
        ...(images ? { images, twin: { runId: twin.id, name: twin.name, config: base } } : {}),
      }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="fine-tune" id="fine-tune">
      <h3>Fine-tune from checkpoint</h3>
      <div className="form-grid">
        <div className="field span2">
          <label className="field-label" htmlFor="ft-source">
            Start from
          </label>
          <select id="ft-source" value={source?.id ?? ''} onChange={(e) => setSourceId(e.target.value)}>
            {sources.length === 0 && <option value="">No run with weights yet: train one, or load a checkpoint</option>}
            {sources.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} (step {r.step})
              </option>
            ))}
          </select>
        </div>
        <div className="field span2">
          <label className="field-label" htmlFor="ft-folder">
            Your own images (optional): a folder with one sub-folder per class
          </label>
          <input id="ft-folder" type="file" multiple {...{ webkitdirectory: '' }} onChange={(e) => void pickFolder(e.target.files)} />
          {decoding && <span className="hint">Decoding…</span>}
          {folder && (
            <span className="hint" data-testid="folder-summary">
              {folder.labels.length} images in {folder.classNames.length} classes ({folder.classNames.join(', ')}), resized to 32×32
              {folder.skipped ? `; ${folder.skipped} files skipped` : ''}.{' '}
              <button type="button" className="chip" onClick={() => setFolder(undefined)}>
                Use CIFAR classes instead
              </button>
            </span>
          )}
        </div>
        <fieldset className="span2 ft-classes" disabled={!!folder}>
          <legend>Classes of the new task</legend>
          {Array.from({ length: 10 }, (_, c) => (
            <label key={c}>
              <input
                type="checkbox"
                checked={classes.includes(c)}
                onChange={(e) => setClasses(e.target.checked ? [...classes, c] : classes.filter((x) => x !== c))}
              />
              {classNames[c] ?? `class ${c}`}
            </label>
          ))}
        </fieldset>
        <InputSizeSelect id="ft-input-size" value={imageSize} onChange={setImageSize} />
        <div className="span2">
          <Segmented
            label="Train"
            value={train}
            options={[
              { value: 'head', label: 'Head only', title: 'Only the new classifier layer learns; the rest keeps the loaded weights' },
              { value: 'all', label: 'Everything', title: 'Every layer learns, starting from the loaded weights' },
            ]}
            onChange={setTrain}
          />
        </div>
      </div>
      <button
        type="button"
        className="primary"
        disabled={!source || (folder ? folder.classNames.length < 2 : classes.length < 2) || busy || decoding}
        onClick={() => void start()}
      >
        Fine-tune from checkpoint
      </button>
      <p className="hint">
        Starts two runs on the chosen classes with the form’s training settings: the fine-tuned one and the same net trained from scratch.
      </p>
    </div>
  );
}

/** The latest run trained on fewer images than the whole set: its training error against its test error, measured. */
function SmallDataReadout() {
  const runs = useApp((s) => s.runs);
  const order = useApp((s) => s.order);
  const run = [...order]
    .reverse()
    .map((id) => runs[id])
    .find((r) => r && (r.config?.trainImages ?? r.form?.trainImages));
  if (!run) return <p className="muted small">No run on a limited training set yet.</p>;
  const g = overfitGap(run.metrics, run.evals);
  const images = run.config?.trainImages ?? run.form?.trainImages;
  const pts = (v: number) => (100 * v).toFixed(1);
  return (
    <p className="muted small" data-testid="small-data-readout">
      {run.name} ({images?.toLocaleString('en-US')} training images):{' '}
      {!g
        ? 'waiting for its first test evaluation.'
        : `training error ${pts(g.trainErr)} ± ${pts(g.trainSe)}% over its last tenth of steps, test error ${pts(g.testErr)} ± ${pts(g.testSe)}% at step ${g.testStep} (BN eval): ${g.distinguishable ? `it generalises ${pts(g.gap)} points worse than it trains` : 'no gap beyond noise so far'}.`}
    </p>
  );
}
