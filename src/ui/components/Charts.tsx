// Live curves of every run on shared axes: training loss (raw and smoothed), train and test error,
// learning rate, and the latest per-layer gradient (or weight) norms. Each run keeps its colour; line styles tell
// the kinds of series apart. The panel, legend and chart frames are here; the recharts plots (ChartPlots.tsx)
// load in their own chunk, fetched once the page is up.
import { Component, lazy, memo, Suspense, useEffect, useState, type ComponentType, type ReactNode } from 'react';
import { useApp } from '../store';
import type { NormKind } from '../lib/normData';
import type { PlotProps, Shown } from './ChartPlots';
import { Segmented, type Option } from './controls';
import { runColor } from '../lib/palette';
import { formatRatio, gradientSpan } from '../lib/evidence';
import { lossAxisTop, metricSeries } from '../lib/chartData';
import { ERROR_LINES } from '../lib/lineStyles';
import { LineKey } from './LineKey';

let plots: Promise<typeof import('./ChartPlots')> | undefined;
const loadPlots = () => (plots ??= import('./ChartPlots'));
const plot = <K extends 'LossPlot' | 'ErrorPlot' | 'LrPlot' | 'NormPlot'>(name: K) =>
  lazy(() => loadPlots().then((m) => ({ default: m[name] })));
const LossPlot = plot('LossPlot');
const ErrorPlot = plot('ErrorPlot');
const LrPlot = plot('LrPlot');
const NormPlot = plot('NormPlot');

function useShownRuns(): Shown[] {
  const order = useApp((s) => s.order);
  const runs = useApp((s) => s.runs);
  return order.map((id, i) => ({ run: runs[id], color: runColor(i) })).filter((x) => x.run.metrics.length > 0 || x.run.evals.length > 0);
}

/** A plot whose chunk failed to load says so in its frame instead of taking the page down. */
class PlotBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? (
      <div className="chart-empty">This chart could not be drawn. Reload the page to try again.</div>
    ) : (
      this.props.children
    );
  }
}

interface FrameProps {
  title: string;
  legend?: ReactNode;
  height: number;
  /** Shown instead of the plot while there is nothing to draw. */
  empty?: string;
  /** A line under the plot. */
  note?: ReactNode;
  /** The plot (a lazy component). */
  children: ReactNode;
}

function Frame({ title, legend, height, empty, note, children }: FrameProps) {
  return (
    <figure className="chart" aria-label={`${title} chart`}>
      <figcaption>
        <span className="chart-title">{title}</span>
        {legend && <span className="chart-key">{legend}</span>}
      </figcaption>
      <div className="chart-body" style={{ height }}>
        {empty !== undefined ? (
          <div className="chart-empty">{empty}</div>
        ) : (
          <PlotBoundary>
            <Suspense fallback={<div className="chart-empty">Loading the chart…</div>}>{children}</Suspense>
          </PlotBoundary>
        )}
      </div>
      {note && <p className="chart-note">{note}</p>}
    </figure>
  );
}

interface CurveFrameProps extends PlotProps {
  title: string;
  legend?: ReactNode;
  height: number;
  Plot: ComponentType<PlotProps>;
}

const ChartFrame = memo(function ChartFrame({ Plot, shown, smoothing, lossTop, ...frame }: CurveFrameProps & { note?: ReactNode }) {
  return (
    <Frame {...frame} empty={shown.length === 0 ? 'Curves appear here once a run has trained a step.' : undefined}>
      <Plot shown={shown} smoothing={smoothing} lossTop={lossTop} />
    </Frame>
  );
});

/** The loss chart's top when spikes are clipped, and how many per-step points it leaves out. */
function useLossClip(shown: Shown[], smoothing: number, clip: boolean): { top?: number; cut: number } {
  if (!clip) return { cut: 0 };
  const series = shown.map(({ run }) => {
    const s = metricSeries(run.metrics, smoothing);
    return { raw: s.loss.map((p) => p.raw), last: s.loss.at(-1)?.smooth ?? NaN };
  });
  const top = lossAxisTop(series);
  const cut = top === undefined ? 0 : series.reduce((n, s) => n + s.raw.filter((v) => v > top).length, 0);
  return cut > 0 ? { top, cut } : { cut: 0 };
}

const NORM_KINDS: Option<NormKind>[] = [
  { value: 'grad', label: 'Gradient', title: 'L2 norm of each layer’s gradient' },
  { value: 'weight', label: 'Weight', title: 'L2 norm of each layer’s weights' },
  { value: 'ratio', label: 'Gradient / weight', title: 'How large a step is for each layer, relative to its weights' },
];
const NORM_NOTES: Record<NormKind, string> = {
  grad: 'L2 norm of each layer’s gradient at the latest step, input on the left, output on the right (log scale).',
  weight:
    'L2 norm of each layer’s weights at the latest step (log scale). Wider layers have more weights, hence larger norms; weight decay slowly pulls them down.',
  ratio:
    'Gradient norm over weight norm (log scale): times the learning rate, roughly how much one step changes each layer relative to its size. Layers far below the others are hardly being trained.',
};

/**
 * What the gradient chart shows, said from the user's own runs (first/last convolution gradient ratio per run) and
 * from the paper, which rules out vanishing gradients as the cause of degradation when BatchNorm is on.
 */
function GradNote({ shown }: { shown: Shown[] }) {
  const spans = shown.flatMap(({ run }) => {
    const s = gradientSpan(run.layerNorms!.at(-1)!);
    const bn = run.config?.model.batchNorm ?? run.form?.bn ?? true;
    return s ? [{ run, s, bn }] : [];
  });
  return (
    <>
      {NORM_NOTES.grad}{' '}
      {spans.length > 0 && (
        <span data-testid="grad-span">
          Your runs, first convolution’s gradient relative to the last one’s:{' '}
          {spans.map(({ run, s, bn }, i) => (
            <span key={run.id}>
              {i > 0 && '; '}
              {run.name} (BN {bn ? 'on' : 'off'}) {formatRatio(s.ratio)} at step {s.step}
            </span>
          ))}
          .{' '}
        </span>
      )}
      He et al. (2015, sec. 4.1) train their plain nets with BatchNorm and find the backward signals keep healthy norms: the degradation of
      deep plain nets is an optimisation difficulty, not vanishing gradients. To see gradients vanish, train a deep plain net with BatchNorm
      off.
    </>
  );
}

/** The latest per-layer norms of every run that has reported some; a toggle picks the quantity. */
function NormFrame({ shown }: { shown: Shown[] }) {
  const [kind, setKind] = useState<NormKind>('grad');
  const withNorms = shown.filter(({ run }) => run.layerNorms?.length);
  const toggle = <Segmented label="Quantity per layer" hideLabel value={kind} options={NORM_KINDS} onChange={setKind} />;
  return (
    <Frame
      title="Gradient norm per layer"
      legend={toggle}
      height={220}
      empty={withNorms.length === 0 ? 'Per-layer norms appear here while a run trains.' : undefined}
      note={kind === 'grad' ? <GradNote shown={withNorms} /> : NORM_NOTES[kind]}
    >
      <NormPlot shown={withNorms} kind={kind} />
    </Frame>
  );
}

const KEY_COLOR = '#475569';
const lossKey = (
  <>
    <span className="legend-item">
      <LineKey color="#cbd5e1" style={{ width: 1 }} /> per step
    </span>
    <span className="legend-item">
      <LineKey color={KEY_COLOR} style={{ width: 2 }} /> smoothed
    </span>
  </>
);
const errorKey = (
  <span data-testid="error-key">
    <span className="legend-item">
      <LineKey color={KEY_COLOR} style={ERROR_LINES.train} /> train
    </span>
    <span className="legend-item">
      <LineKey color={KEY_COLOR} style={ERROR_LINES.testEval} /> test, BN eval
    </span>
    <span className="legend-item">
      <LineKey color={KEY_COLOR} style={ERROR_LINES.testTrain} /> test, BN train
    </span>
  </span>
);

export function Charts() {
  const all = useShownRuns();
  // Runs the user took out of the charts (by id); a new run is drawn.
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const shown = all.filter(({ run }) => !hidden.has(run.id));
  const toggle = (id: string) => setHidden((h) => (h.has(id) ? new Set([...h].filter((x) => x !== id)) : new Set([...h, id])));
  const smoothing = useApp((s) => s.smoothing);
  const [clip, setClip] = useState(true);
  const lossClip = useLossClip(shown, smoothing, clip);
  const setView = useApp((s) => s.setView);
  useEffect(() => void loadPlots().catch(() => undefined), []); // fetch the plots now, before a run has points (a failure shows in the frames)
  return (
    <section className="panel charts-panel" aria-labelledby="charts-title">
      <header className="panel-head">
        <h2 id="charts-title">Curves</h2>
        <div className="panel-actions legend" aria-label="Runs in the charts">
          {all.map(({ run, color }) => (
            <button
              type="button"
              key={run.id}
              className={`legend-item ${hidden.has(run.id) ? 'off' : ''}`}
              data-series={run.name}
              aria-pressed={!hidden.has(run.id)}
              title={hidden.has(run.id) ? `Draw ${run.name} in the charts` : `Take ${run.name} out of the charts`}
              onClick={() => toggle(run.id)}
            >
              <i className="swatch" style={{ background: color }} />
              {run.name}
            </button>
          ))}
          <label className="smoothing">
            Smoothing
            <input
              type="range"
              min={0}
              max={0.99}
              step={0.01}
              value={smoothing}
              onChange={(e) => setView({ smoothing: Number(e.target.value) })}
            />
            <span className="num">{smoothing.toFixed(2)}</span>
          </label>
        </div>
      </header>
      <ChartFrame
        title="Training loss"
        height={230}
        legend={
          <>
            {lossKey}
            <label className="clip">
              <input type="checkbox" checked={clip} onChange={(e) => setClip(e.target.checked)} /> clip spikes
            </label>
          </>
        }
        Plot={LossPlot}
        shown={shown}
        smoothing={smoothing}
        lossTop={lossClip.top}
        note={
          lossClip.top !== undefined ? (
            <span data-testid="loss-clipped">
              {lossClip.cut} per-step {lossClip.cut === 1 ? 'loss is' : 'losses are'} above {lossClip.top.toFixed(2)}, cut off at the top;
              untick “clip spikes” to see them.
            </span>
          ) : undefined
        }
      />
      <div className="chart-row">
        <ChartFrame title="Error (%)" height={190} legend={errorKey} Plot={ErrorPlot} shown={shown} smoothing={smoothing} />
        <ChartFrame title="Learning rate" height={190} Plot={LrPlot} shown={shown} smoothing={smoothing} />
      </div>
      <NormFrame shown={shown} />
    </section>
  );
}
