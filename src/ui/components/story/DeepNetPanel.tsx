// More than 1000 layers: the memory meter of the configured net with and without activation recomputation
// (planned by the worker before anything is built), its compute cost in multiply-adds, and the ResNet-1202 preset.
import { useEffect } from 'react';
import { toRunConfig, RESNET1202_RECIPE, type FormConfig } from '../../lib/formConfig';
import { useApp } from '../../store';
import { Panel } from '../controls';
import { planKey, requestPlan, usePlans, type MemoryPlan } from './memoryPlans';

const mib = (b: number) => `${(b / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: 0 })} MiB`;

function Meter({ label, bytes, max }: { label: string; bytes: number; max: number }) {
  return (
    <div className="mem-row">
      <span className="mem-label">{label}</span>
      <meter aria-label={label} min={0} max={max} value={bytes} />
      <span className="mem-value">{mib(bytes)}</span>
    </div>
  );
}

export function DeepNetPanel() {
  const form = useApp((s) => s.form);
  const setForm = useApp((s) => s.setForm);
  const ready = useApp((s) => s.engine.status === 'ready');
  const config = toRunConfig(form);
  const key = planKey(config);
  const plan = usePlans((s) => s.plans[key]);
  useEffect(() => {
    if (ready) requestPlan(config);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key says everything the plan depends on
  }, [key, ready]);
  const setRecompute = (recompute: FormConfig['recompute']) => setForm({ recompute });
  const mode = form.recompute === undefined || form.recompute === 0 ? 'off' : form.recompute === 'auto' ? 'auto' : 'every';

  return (
    <Panel title="More than 1000 layers" className="story-panel">
      <p className="muted">
        Backpropagation keeps every layer’s output until its gradient is computed, so memory grows with depth. Recomputation keeps only the
        output of every k-th block and computes the rest again during the backward pass: memory grows like the square root of the depth, for
        about one extra forward pass.
      </p>
      <div className="field">
        <label className="field-label" htmlFor="recompute-mode">
          Recompute activations
        </label>
        <select
          id="recompute-mode"
          value={mode}
          onChange={(e) =>
            setRecompute(
              e.target.value === 'off'
                ? undefined
                : e.target.value === 'auto'
                  ? 'auto'
                  : Math.max(1, Math.round(Math.sqrt((3 * (form.depth - 2)) / (form.block === 'bottleneck' ? 9 : 6)))),
            )
          }
        >
          <option value="off">Off</option>
          <option value="auto">Auto (only when it would not fit)</option>
          <option value="every">Every k blocks</option>
        </select>
        {mode === 'every' && (
          <input
            aria-label="Blocks per segment"
            type="number"
            min={1}
            value={form.recompute}
            onChange={(e) => Number(e.target.value) >= 1 && setRecompute(Math.round(Number(e.target.value)))}
          />
        )}
      </div>
      {!plan ? (
        <p className="muted">{ready ? 'Planning…' : 'Waiting for WebGPU…'}</p>
      ) : 'error' in plan ? (
        <p role="alert">{plan.error}</p>
      ) : (
        <div className="mem-plan" data-testid="memory-plan">
          <p>
            {form.arch === 'plain' ? 'plain' : 'resnet'}-{form.depth} at batch {form.batch}
            {config.imageSize ? `, ${config.imageSize}×${config.imageSize} inputs` : ''}:
          </p>
          <Meter
            label="Without recomputation"
            bytes={plan.without.activationBytes + plan.without.persistentBytes}
            max={plan.without.activationBytes + plan.without.persistentBytes}
          />
          <Meter
            label={`With recomputation (every ${plan.with.every} blocks)`}
            bytes={plan.with.activationBytes + plan.with.persistentBytes}
            max={plan.without.activationBytes + plan.without.persistentBytes}
          />
          <p>
            Compute cost, counted in multiply-adds (not timed): {plan.with.extraForwardPct.toFixed(0)}% more forward multiply-adds, about{' '}
            {(plan.with.extraForwardPct / 3).toFixed(0)}% more per training step (a convolution’s backward pass does two forward passes’
            worth: one for its input’s gradient, one for its weights’). A run’s images/s says what it costs in time on your GPU.
          </p>
          <p className="muted">
            A run of this config {plan.usedEvery > 0 ? `recomputes every ${plan.usedEvery} blocks` : 'keeps every activation'} (memory
            budget {mib(plan.budgetBytes)}, from the adapter’s largest buffer).
          </p>
          <FitLine plan={plan} batch={form.batch} />
        </div>
      )}
      <button type="button" className="chip" onClick={() => setForm(RESNET1202_RECIPE)}>
        Use ResNet-1202
      </button>
    </Panel>
  );
}

/** When the plan does not fit the budget: the largest batch that does, without and with recomputation. */
function FitLine({ plan, batch }: { plan: MemoryPlan; batch: number }) {
  const { without, with: withRe } = plan.largestBatch;
  if (without >= batch) return null;
  const fit = (n: number) => (n > 0 ? `batch ${n}` : 'not even batch 1');
  return (
    <p role="status" data-testid="memory-fit">
      Batch {batch} does not fit this GPU’s budget of {mib(plan.budgetBytes)}: without recomputation, {fit(without)} fits; with it,{' '}
      {withRe >= batch ? `batch ${batch} fits` : fit(withRe)}.
    </p>
  );
}
