// Live curves of every run on shared axes: training loss (raw and smoothed), train and test error,
// learning rate. Each run keeps its colour; line styles tell the kinds of series apart.
import { memo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useApp } from '../store';
import type { RunView } from '../store/types';
import { metricSeries, testSeries } from './chartData';
import { runColor } from './palette';

const AXIS = { fontSize: 11, fill: '#64748b' };
const stepFmt = (v: number) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(v));
const tooltipStyle = { fontSize: 12, borderRadius: 8, border: '1px solid #e2e8f0' };

interface Shown {
  run: RunView;
  color: string;
}

function useShownRuns(): Shown[] {
  const order = useApp((s) => s.order);
  const runs = useApp((s) => s.runs);
  return order.map((id, i) => ({ run: runs[id], color: runColor(i) })).filter((x) => x.run.metrics.length > 0 || x.run.evals.length > 0);
}

function ChartFrame({ title, legend, height, children, empty }: { title: string; legend?: React.ReactNode; height: number; children: React.ReactElement; empty: boolean }) {
  return (
    <figure className="chart" aria-label={`${title} chart`}>
      <figcaption>
        <span className="chart-title">{title}</span>
        {legend && <span className="chart-key">{legend}</span>}
      </figcaption>
      <div className="chart-body" style={{ height }}>
        {empty ? <div className="chart-empty">Curves appear here once a run has trained a step.</div> : <ResponsiveContainer width="100%" height="100%">{children}</ResponsiveContainer>}
      </div>
    </figure>
  );
}

const LossChart = memo(function LossChart({ shown, smoothing }: { shown: Shown[]; smoothing: number }) {
  return (
    <ChartFrame
      title="Training loss"
      height={230}
      empty={shown.length === 0}
      legend={
        <>
          <i className="key faint" /> per step <i className="key solid" /> smoothed
        </>
      }
    >
      <LineChart margin={{ top: 6, right: 12, bottom: 0, left: -8 }}>
        <CartesianGrid stroke="#eef2f7" />
        <XAxis type="number" dataKey="x" domain={[0, 'dataMax']} tick={AXIS} tickFormatter={stepFmt} allowDuplicatedCategory={false} />
        <YAxis tick={AXIS} domain={[0, 'auto']} width={44} tickFormatter={(v: number) => +v.toFixed(2) + ''} />
        <Tooltip contentStyle={tooltipStyle} labelFormatter={(l) => `step ${l}`} formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : String(v))} />
        {shown.map(({ run, color }) => {
          const s = metricSeries(run.metrics, smoothing);
          return [
            <Line key={`${run.id}-raw`} data={s.loss} dataKey="raw" name={`${run.name} (step)`} stroke={color} strokeOpacity={0.22} strokeWidth={1} dot={false} isAnimationActive={false} legendType="none" />,
            <Line key={`${run.id}-smooth`} data={s.loss} dataKey="smooth" name={run.name} stroke={color} strokeWidth={2} dot={false} isAnimationActive={false} />,
          ];
        })}
      </LineChart>
    </ChartFrame>
  );
});

const ErrorChart = memo(function ErrorChart({ shown, smoothing }: { shown: Shown[]; smoothing: number }) {
  return (
    <ChartFrame
      title="Error (%)"
      height={190}
      empty={shown.length === 0}
      legend={
        <>
          <i className="key dashed" /> train <i className="key solid dot" /> test, BN eval <i className="key dotted dot" /> test, BN train
        </>
      }
    >
      <LineChart margin={{ top: 6, right: 12, bottom: 0, left: -8 }}>
        <CartesianGrid stroke="#eef2f7" />
        <XAxis type="number" dataKey="x" domain={[0, 'dataMax']} tick={AXIS} tickFormatter={stepFmt} allowDuplicatedCategory={false} />
        <YAxis tick={AXIS} domain={[0, 100]} width={44} />
        <Tooltip contentStyle={tooltipStyle} labelFormatter={(l) => `step ${l}`} formatter={(v) => (typeof v === 'number' ? `${v.toFixed(1)}%` : String(v))} />
        {shown.map(({ run, color }) => {
          const s = metricSeries(run.metrics, smoothing);
          const t = testSeries(run.evals);
          return [
            <Line key={`${run.id}-train`} data={s.trainErr} dataKey="v" name={`${run.name} train`} stroke={color} strokeDasharray="5 4" strokeWidth={1.5} dot={false} isAnimationActive={false} />,
            t.eval.length > 0 && <Line key={`${run.id}-test-eval`} data={t.eval} dataKey="v" name={`${run.name} test (BN eval)`} stroke={color} strokeWidth={2} dot={{ r: 2.5 }} isAnimationActive={false} />,
            t.train.length > 0 && <Line key={`${run.id}-test-train`} data={t.train} dataKey="v" name={`${run.name} test (BN train)`} stroke={color} strokeDasharray="2 3" strokeWidth={2} dot={{ r: 2.5, strokeDasharray: '' }} isAnimationActive={false} />,
          ];
        })}
      </LineChart>
    </ChartFrame>
  );
});

const LrChart = memo(function LrChart({ shown, smoothing }: { shown: Shown[]; smoothing: number }) {
  return (
    <ChartFrame title="Learning rate" height={190} empty={shown.length === 0}>
      <LineChart margin={{ top: 6, right: 12, bottom: 0, left: -8 }}>
        <CartesianGrid stroke="#eef2f7" />
        <XAxis type="number" dataKey="x" domain={[0, 'dataMax']} tick={AXIS} tickFormatter={stepFmt} allowDuplicatedCategory={false} />
        <YAxis tick={AXIS} domain={[0, 'auto']} width={52} tickFormatter={(v: number) => String(+v.toPrecision(2))} />
        <Tooltip contentStyle={tooltipStyle} labelFormatter={(l) => `step ${l}`} formatter={(v) => (typeof v === 'number' ? String(+v.toPrecision(3)) : String(v))} />
        {shown.map(({ run, color }) => (
          <Line key={run.id} type="stepAfter" data={metricSeries(run.metrics, smoothing).lr} dataKey="v" name={run.name} stroke={color} strokeWidth={1.5} dot={false} isAnimationActive={false} />
        ))}
      </LineChart>
    </ChartFrame>
  );
});

export function Charts() {
  const shown = useShownRuns();
  const smoothing = useApp((s) => s.smoothing);
  const setView = useApp((s) => s.setView);
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
      <LossChart shown={shown} smoothing={smoothing} />
      <div className="chart-row">
        <ErrorChart shown={shown} smoothing={smoothing} />
        <LrChart shown={shown} smoothing={smoothing} />
      </div>
    </section>
  );
}
