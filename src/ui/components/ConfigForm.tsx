// The run configuration: architecture, depth (with live parameter and FLOP counts), width, shortcut, BN,
// block type, optimiser and length, seed; presets. Every change goes to the URL (see urlSync.ts).
import { useMemo } from 'react';
import { countFlops, countParams, formatCount } from '../../model/counts';
import {
  formDepths,
  formModel,
  formProblems,
  imagenetBlock,
  PRESETS,
  QUICK_LOOK,
  snapDepth,
  withFamily,
  type FormConfig,
} from '../lib/formConfig';
import { durationText, estimateText, runMacs, stepsOf } from '../lib/duration';
import { fitTwins, FIT_SECONDS } from '../lib/deviceFit';
import { useDeviceSpeed } from './useDeviceSpeed';
import { measureSpeed } from '../actions';
import { useApp } from '../store';
import { InputSizeSelect, NumberField, NumberInput, Panel, Segmented } from './controls';

function useCounts(f: FormConfig) {
  return useMemo(() => {
    try {
      const model = formModel(f);
      return { params: countParams(model).trainable, flops: countFlops(model) };
    } catch {
      return undefined;
    }
  }, [f]);
}

export function ConfigForm() {
  const f = useApp((s) => s.form);
  const setForm = useApp((s) => s.setForm);
  const counts = useCounts(f);
  const problems = formProblems(f);
  const preset = PRESETS.find((p) => JSON.stringify(p.config) === JSON.stringify(f))?.name;

  return (
    <Panel title="Configure a run" className="config-panel">
      <div className="presets" role="group" aria-label="Presets">
        {PRESETS.map((p) => (
          <button
            key={p.name}
            type="button"
            className={`chip ${preset === p.name ? 'on' : ''}`}
            aria-pressed={preset === p.name}
            onClick={() => setForm(p.config)}
          >
            {p.name}
          </button>
        ))}
      </div>

      <div className="form-grid">
        <div className="span2">
          <Segmented
            label="Family"
            value={f.family ?? 'cifar'}
            options={[
              {
                value: 'cifar',
                label: 'CIFAR nets (6n+2)',
                title: 'The paper’s CIFAR-10 networks: a 3×3 stem, three stages of width, 2×, 4× filters',
              },
              { value: 'imagenet', label: 'ImageNet nets (Table 1)', title: 'ResNet-18/34/50/101/152: four stages, torchvision’s names' },
            ]}
            onChange={(family) => setForm(withFamily(f, family))}
          />
        </div>
        <div className="span2">
          <Segmented
            label="Architecture"
            value={f.arch}
            options={[
              { value: 'residual', label: 'Residual' },
              { value: 'plain', label: 'Plain' },
            ]}
            onChange={(arch) => setForm({ arch })}
          />
        </div>

        <div className="field">
          <label className="field-label" htmlFor="cfg-depth">
            Depth
          </label>
          <select
            id="cfg-depth"
            value={f.depth}
            onChange={(e) => {
              const depth = Number(e.target.value);
              setForm(f.family === 'imagenet' ? { depth, block: imagenetBlock(depth) } : { depth });
            }}
          >
            {formDepths(f).map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <NumberField
          id="cfg-width"
          label="Width"
          value={f.width}
          integer
          min={1}
          max={256}
          onChange={(width) => setForm({ width })}
          hint={
            f.family === 'imagenet'
              ? 'Filters of the first stage (Table 1: 64); the stages have width, 2×, 4×, 8×'
              : 'Filters of the first stage; the stages have width, 2×width, 4×width'
          }
        />

        <div className="counts span2" aria-live="polite">
          {counts ? (
            <>
              <span title={`${counts.params.toLocaleString('en-US')} trainable parameters`}>
                <b>{formatCount(counts.params)}</b> params
              </span>
              <span title="Multiply-adds of one forward pass of one 32×32 image">
                <b>{formatCount(counts.flops)}</b> FLOPs
              </span>
              <span className="muted">{f.depth} layers</span>
            </>
          ) : (
            <span className="muted">—</span>
          )}
        </div>

        <Segmented
          label="Shortcut"
          value={f.shortcut}
          options={[
            { value: 'A', label: 'A', title: 'Option A: identity, zero-padded channels (the paper’s CIFAR choice)' },
            { value: 'B', label: 'B', title: 'Option B: 1×1 convolution + BN projection where the shape changes' },
          ]}
          onChange={(shortcut) => setForm({ shortcut })}
          disabled={f.arch === 'plain'}
        />
        <OnOff label="Batch normalisation" value={f.bn} onChange={(bn) => setForm({ bn })} />
        {f.family === 'imagenet' ? (
          <ImageNetOptions f={f} setForm={setForm} />
        ) : (
          <div className="span2">
            <Segmented
              label="Block"
              value={f.block}
              options={[
                { value: 'basic', label: 'Basic (6n+2)' },
                { value: 'bottleneck', label: 'Bottleneck (9n+2)' },
              ]}
              onChange={(block) => setForm({ block, depth: snapDepth(f.depth, block) })}
            />
          </div>
        )}

        <NumberField
          id="cfg-batch"
          label="Batch size"
          value={f.batch}
          integer
          min={1}
          max={4096}
          onChange={(batch) => setForm({ batch })}
        />
        <NumberField id="cfg-lr" label="Learning rate" value={f.lr} min={0} step="any" onChange={(lr) => setForm({ lr })} />

        <div className="field">
          <label className="field-label" htmlFor="cfg-schedule">
            Schedule
          </label>
          <select id="cfg-schedule" value={f.schedule} onChange={(e) => setForm({ schedule: e.target.value as FormConfig['schedule'] })}>
            <option value="step">Step (÷10 at 50% and 75% of the steps)</option>
            <option value="cosine">Cosine</option>
            <option value="constant">Constant</option>
          </select>
        </div>
        <NumberField id="cfg-seed" label="Seed" value={f.seed} integer min={0} onChange={(seed) => setForm({ seed })} />

        <div className="field span2">
          <label className="field-label" htmlFor="cfg-length">
            Run length
          </label>
          <div className="length-row">
            <LengthInput f={f} onChange={(length) => setForm({ length })} />
            <select
              aria-label="Run length unit"
              value={f.lengthUnit}
              onChange={(e) => {
                const lengthUnit = e.target.value as FormConfig['lengthUnit'];
                setForm({ lengthUnit, length: lengthUnit === 'steps' ? Math.max(1, Math.round(f.length)) : f.length });
              }}
            >
              <option value="steps">steps</option>
              <option value="epochs">epochs</option>
            </select>
          </div>
        </div>
      </div>

      <details className="advanced">
        <summary>More options</summary>
        <div className="form-grid">
          <NumberField
            id="cfg-momentum"
            label="Momentum"
            value={f.momentum}
            min={0}
            max={0.999}
            onChange={(momentum) => setForm({ momentum })}
          />
          <NumberField
            id="cfg-wd"
            label="Weight decay"
            value={f.weightDecay}
            min={0}
            onChange={(weightDecay) => setForm({ weightDecay })}
          />
          <NumberField
            id="cfg-warmup"
            label="Warm-up steps"
            value={f.warmupSteps}
            integer
            min={0}
            onChange={(warmupSteps) => setForm({ warmupSteps })}
          />
          <OnOff label="Augment (crop + flip)" value={f.augment} onChange={(augment) => setForm({ augment })} />
          <NumberField
            id="cfg-eval-every"
            label="Evaluate every (steps)"
            value={f.evalEvery}
            integer
            min={0}
            onChange={(evalEvery) => setForm({ evalEvery })}
            hint="0 = only at the end"
          />
          <NumberField
            id="cfg-eval-images"
            label="Test images per evaluation"
            value={f.evalImages}
            integer
            min={0}
            onChange={(evalImages) => setForm({ evalImages })}
            hint="0 = the whole test split"
          />
        </div>
      </details>

      {problems.length === 0 && <RunEstimate f={f} />}
      {problems.length > 0 && (
        <ul className="form-problems" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

/**
 * How long the configured run takes here, said before it starts. When it takes much longer than a few minutes: once
 * the device's speed is known, the plain-vs-residual twins that fit it (lib/deviceFit.ts), one click away; before
 * then, how much less work "Quick look" is.
 */
function RunEstimate({ f }: { f: FormConfig }) {
  const setForm = useApp((s) => s.setForm);
  const { speed, unmeasured, probing } = useDeviceSpeed();
  const engineReady = useApp((s) => s.engine.status === 'ready');
  let macs: number;
  try {
    macs = runMacs(f);
  } catch {
    return null; // an impossible config: formProblems says why
  }
  const quick = runMacs(QUICK_LOOK);
  const fit = speed && fitTwins(speed);
  const offerFit = fit && macs / speed.macsPerSec > 3 * FIT_SECONDS && JSON.stringify(fit.form) !== JSON.stringify(f);
  const hint = !speed && macs > 10 * quick ? ` "Quick look" is ${Math.round(macs / quick).toLocaleString('en-US')} times less work.` : '';
  return (
    <>
      <p className="muted small" data-testid="form-estimate">
        This run: {stepsOf(f).toLocaleString('en-US')} steps, {estimateText(macs, speed, unmeasured)}.{hint}
      </p>
      {!speed && !probing && (
        <button
          type="button"
          className="chip"
          onClick={measureSpeed}
          disabled={!engineReady}
          title="A few seconds of training steps on this GPU"
        >
          Measure speed
        </button>
      )}
      {offerFit && (
        <p className="small device-fit" data-testid="device-fit">
          Sized for this device: ResNet-20 and its plain twin at width {fit.form.width}, {fit.form.length.toLocaleString('en-US')} steps
          each, about {durationText(fit.seconds)} here for the pair.{' '}
          <button type="button" className="chip" onClick={() => setForm(fit.form)}>
            Use it
          </button>{' '}
          then “Compare plain vs residual”.
        </p>
      )}
    </>
  );
}

function LengthInput({ f, onChange }: { f: FormConfig; onChange: (v: number) => void }) {
  const steps = f.lengthUnit === 'steps';
  return <NumberInput id="cfg-length" value={f.length} integer={steps} min={steps ? 1 : 0.01} onChange={onChange} />;
}

/** A two-way On/Off switch for a boolean setting. */
function OnOff({ label, value, onChange }: { label: string; value: boolean; onChange: (v: boolean) => void }) {
  return (
    <Segmented
      label={label}
      value={value ? 'on' : 'off'}
      options={[
        { value: 'on', label: 'On' },
        { value: 'off', label: 'Off' },
      ]}
      onChange={(v) => onChange(v === 'on')}
    />
  );
}

/** The ImageNet family's own choices: the stem for 32x32 images, and where a downsampling bottleneck strides. */
function ImageNetOptions({ f, setForm }: { f: FormConfig; setForm: (p: Partial<FormConfig>) => void }) {
  return (
    <>
      <Segmented
        label="Stem"
        value={f.stem ?? 'imagenet'}
        options={[
          {
            value: 'imagenet',
            label: '7×7 + max pool',
            title: 'Table 1: a 7×7 stride-2 convolution and a 3×3 stride-2 max pool (32×32 images end at 1×1)',
          },
          { value: 'cifar', label: '3×3', title: 'A 3×3 stride-1 convolution, no pool: the CIFAR reproductions of ResNet-18' },
        ]}
        onChange={(stem) => setForm({ stem: stem === 'cifar' ? 'cifar' : undefined })}
      />
      <Segmented
        label="Bottleneck stride"
        value={f.strideAt ?? '3x3'}
        options={[
          { value: '3x3', label: 'on the 3×3', title: 'torchvision’s “ResNet v1.5”, whose weights users have' },
          { value: '1x1', label: 'on the 1×1', title: 'The paper: the first 1×1 convolution of a downsampling bottleneck strides' },
        ]}
        onChange={(strideAt) => setForm({ strideAt: strideAt === '1x1' ? '1x1' : undefined })}
        disabled={f.block !== 'bottleneck'}
      />
      <InputSizeSelect id="cfg-input-size" value={f.imageSize ?? 32} onChange={(s) => setForm({ imageSize: s === 32 ? undefined : s })} />
    </>
  );
}
