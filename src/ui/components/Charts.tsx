// Live curves of every run on shared axes: training loss (raw and smoothed), train and test error,
// learning rate. Each run keeps its colour; line styles tell the kinds of series apart. The panel, legend and
// chart frames are here; the recharts plots (ChartPlots.tsx) load in their own chunk, fetched once the page is up.
import { Component, lazy, memo, Suspense, useEffect, type ComponentType, type ReactNode } from 'react';
import { useApp } from '../store';
import type { PlotProps, Shown } from './ChartPlots';
import { runColor } from './palette';

let plots: Promise<typeof import('./ChartPlots')> | undefined;
const loadPlots = () => (plots ??= import('./ChartPlots'));
const plot = (name: 'LossPlot' | 'ErrorPlot' | 'LrPlot') => lazy(() => loadPlots().then((m) => ({ default: m[name] })));
const LossPlot = plot('LossPlot');
const ErrorPlot = plot('ErrorPlot');
const LrPlot = plot('LrPlot');

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
    return this.state.failed ? <div className="chart-empty">This chart could not be drawn. Reload the page to try again.</div> : this.props.children;
  }
}

interface FrameProps extends PlotProps {
  title: string;
  legend?: ReactNode;
  height: number;
  Plot: ComponentType<PlotProps>;
}

const ChartFrame = memo(function ChartFrame({ title, legend, height, Plot, shown, smoothing }: FrameProps) {
  return (
    <figure className="chart" aria-label={`${title} chart`}>
      <figcaption>
        <span className="chart-title">{title}</span>
        {legend && <span className="chart-key">{legend}</span>}
      </figcaption>
      <div className="chart-body" style={{ height }}>
        {shown.length === 0 ? (
          <div className="chart-empty">Curves appear here once a run has trained a step.</div>
        ) : (
          <PlotBoundary>
            <Suspense fallback={<div className="chart-empty">Loading the chart…</div>}>
              <Plot shown={shown} smoothing={smoothing} />
            </Suspense>
          </PlotBoundary>
        )}
      </div>
    </figure>
  );
});

const lossKey = (
  <>
    <i className="key faint" /> per step <i className="key solid" /> smoothed
  </>
);
const errorKey = (
  <>
    <i className="key dashed" /> train <i className="key solid dot" /> test, BN eval <i className="key dotted dot" /> test, BN train
  </>
);

export function Charts() {
  const shown = useShownRuns();
  const smoothing = useApp((s) => s.smoothing);
  const setView = useApp((s) => s.setView);
  useEffect(() => void loadPlots().catch(() => undefined), []); // fetch the plots now, before a run has points (a failure shows in the frames)
  return (
    <section className="panel charts-panel" aria-labelledby="charts-title">
      <header className="panel-head">
        <h2 id="charts-title">Curves</h2>
        <div className="panel-actions legend" aria-label="Runs in the charts">
          {shown.map(({ run, color }) => (
            <span key={run.id} className="legend-item" data-series={run.name}>
              <i className="swatch" style={{ background: color }} />
              {run.name}
            </span>
          ))}
          <label className="smoothing">
            Smoothing
            <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setView({ smoothing: Number(e.target.value) })} />
            <span className="num">{smoothing.toFixed(2)}</span>
          </label>
        </div>
      </header>
      <ChartFrame title="Training loss" height={230} legend={lossKey} Plot={LossPlot} shown={shown} smoothing={smoothing} />
      <div className="chart-row">
        <ChartFrame title="Error (%)" height={190} legend={errorKey} Plot={ErrorPlot} shown={shown} smoothing={smoothing} />
        <ChartFrame title="Learning rate" height={190} Plot={LrPlot} shown={shown} smoothing={smoothing} />
      </div>
    </section>
  );
}
