// The recharts plots of the curves panel (Charts.tsx). Loaded on demand: recharts is most of the app's
// JavaScript, so it stays out of the first chunk and the page shows before it arrives.
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunView } from '../store/types';
import { metricSeries, testSeries } from '../lib/chartData';
import { DOT_RADIUS, ERROR_LINES } from '../lib/lineStyles';
import { decades, isShortcut, normSeries, type NormKind, type NormPoint } from '../lib/normData';

/** The tooltip's title: the step the pointer is on. */
const stepLabel = (l: unknown) => `step ${Number(l)}`;

export interface Shown {
  run: RunView;
  color: string;
}

export interface PlotProps {
  shown: Shown[];
  smoothing: number;
  /** The loss axis' top (lossAxisTop): points above it are cut off; undefined: the axis fits every point. */
  lossTop?: number;
}

const AXIS = { fontSize: 11, fill: '#64748b' };
const stepFmt = (v: number) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(v));
const tooltipStyle = { fontSize: 12, borderRadius: 8, border: '1px solid #e2e8f0' };
const MARGIN = { top: 6, right: 12, bottom: 0, left: -8 };

export function LossPlot({ shown, smoothing, lossTop }: PlotProps) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart margin={MARGIN}>
        <CartesianGrid stroke="#eef2f7" />
        <XAxis type="number" dataKey="x" domain={[0, 'dataMax']} tick={AXIS} tickFormatter={stepFmt} allowDuplicatedCategory={false} />
        <YAxis
          tick={AXIS}
          domain={[0, lossTop ?? 'auto']}
          allowDataOverflow={lossTop !== undefined}
          width={44}
          tickFormatter={(v: number) => String(+v.toFixed(2))}
        />
        <Tooltip
          contentStyle={tooltipStyle}
          labelFormatter={stepLabel}
          formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : String(v))}
        />
        {shown.map(({ run, color }) => {
          const s = metricSeries(run.metrics, smoothing);
          return [
            <Line
              key={`${run.id}-raw`}
              data={s.loss}
              dataKey="raw"
              name={`${run.name} (step)`}
              stroke={color}
              strokeOpacity={0.22}
              strokeWidth={1}
              dot={false}
              isAnimationActive={false}
              legendType="none"
            />,
            <Line
              key={`${run.id}-smooth`}
              data={s.loss}
              dataKey="smooth"
              name={run.name}
              stroke={color}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />,
          ];
        })}
      </LineChart>
    </ResponsiveContainer>
  );
}

export function ErrorPlot({ shown, smoothing }: PlotProps) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart margin={MARGIN}>
        <CartesianGrid stroke="#eef2f7" />
        <XAxis type="number" dataKey="x" domain={[0, 'dataMax']} tick={AXIS} tickFormatter={stepFmt} allowDuplicatedCategory={false} />
        <YAxis tick={AXIS} domain={[0, 100]} width={44} />
        <Tooltip
          contentStyle={tooltipStyle}
          labelFormatter={stepLabel}
          formatter={(v) => (typeof v === 'number' ? `${v.toFixed(1)}%` : String(v))}
        />
        {shown.map(({ run, color }) => {
          const s = metricSeries(run.metrics, smoothing);
          const t = testSeries(run.evals);
          return [
            <Line
              key={`${run.id}-train`}
              data={s.trainErr}
              dataKey="v"
              name={`${run.name} train`}
              stroke={color}
              strokeDasharray={ERROR_LINES.train.dash}
              strokeWidth={ERROR_LINES.train.width}
              dot={false}
              isAnimationActive={false}
            />,
            t.eval.length > 0 && (
              <Line
                key={`${run.id}-test-eval`}
                data={t.eval}
                dataKey="v"
                name={`${run.name} test (BN eval)`}
                stroke={color}
                strokeWidth={ERROR_LINES.testEval.width}
                dot={{ r: DOT_RADIUS, fill: color }}
                isAnimationActive={false}
              />
            ),
            t.train.length > 0 && (
              <Line
                key={`${run.id}-test-train`}
                data={t.train}
                dataKey="v"
                name={`${run.name} test (BN train)`}
                stroke={color}
                strokeDasharray={ERROR_LINES.testTrain.dash}
                strokeWidth={ERROR_LINES.testTrain.width}
                dot={{ r: DOT_RADIUS, fill: '#fff', strokeDasharray: '', strokeWidth: 1.5 }}
                isAnimationActive={false}
              />
            ),
          ];
        })}
      </LineChart>
    </ResponsiveContainer>
  );
}

export function LrPlot({ shown, smoothing }: PlotProps) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart margin={MARGIN}>
        <CartesianGrid stroke="#eef2f7" />
        <XAxis type="number" dataKey="x" domain={[0, 'dataMax']} tick={AXIS} tickFormatter={stepFmt} allowDuplicatedCategory={false} />
        <YAxis tick={AXIS} domain={[0, 'auto']} width={52} tickFormatter={(v: number) => String(+v.toPrecision(2))} />
        <Tooltip
          contentStyle={tooltipStyle}
          labelFormatter={stepLabel}
          formatter={(v) => (typeof v === 'number' ? String(+v.toPrecision(3)) : String(v))}
        />
        {shown.map(({ run, color }) => (
          <Line
            key={run.id}
            type="stepAfter"
            data={metricSeries(run.metrics, smoothing).lr}
            dataKey="v"
            name={run.name}
            stroke={color}
            strokeWidth={1.5}
            dot={false}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

export interface NormPlotProps {
  /** Runs with at least one layer-norm sample. */
  shown: Shown[];
  kind: NormKind;
}

const depthFmt = (x: number) => (x === 0 ? 'input' : x === 1 ? 'output' : `${Math.round(x * 100)}%`);
const normFmt = (v: number) => (v >= 0.01 && v < 1000 ? String(+v.toPrecision(3)) : v.toExponential(1).replace('e-', 'e−'));
const decadeFmt = (e: number) => (e >= -2 && e <= 2 ? String(10 ** e) : `1e${e}`.replace('-', '−'));
const pointOf = (item: { payload?: unknown }) => item.payload as NormPoint | undefined;

/**
 * The latest norms of each run against relative depth (normData.normSeries says why depth), on a log axis: log10 of
 * the norm on a linear axis labelled in powers of ten.
 */
export function NormPlot({ shown, kind }: NormPlotProps) {
  const series = shown.map(({ run, color }) => ({ run, color, s: normSeries(run.layerNorms!.at(-1)!, kind) }));
  const range = decades(series.flatMap(({ s }) => [...s.main, ...s.side].map((p) => p.v)));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart margin={MARGIN}>
        <CartesianGrid stroke="#eef2f7" />
        <XAxis
          type="number"
          dataKey="x"
          domain={[0, 1]}
          ticks={[0, 0.25, 0.5, 0.75, 1]}
          tick={AXIS}
          tickFormatter={depthFmt}
          allowDuplicatedCategory={false}
        />
        <YAxis
          type="number"
          domain={range?.domain ?? [-3, 0]}
          ticks={range?.ticks}
          allowDecimals={false}
          tick={AXIS}
          width={44}
          tickFormatter={decadeFmt}
        />
        <Tooltip
          contentStyle={tooltipStyle}
          labelFormatter={(_, payload) => {
            const p = payload[0] && pointOf(payload[0]);
            return p ? `layer ${p.index} of ${p.count}: ${p.layer}` : '';
          }}
          formatter={(_, name, item) => {
            const p = pointOf(item);
            const value = p?.v != null ? normFmt(p.v) : '—';
            return [p ? `${value} at step ${p.step}` : value, p && isShortcut(p.layer) ? `${name} (${p.layer})` : name];
          }}
        />
        {series.map(({ run, color, s }) => [
          <Line
            key={`${run.id}-main`}
            data={s.main}
            dataKey="lg"
            name={run.name}
            stroke={color}
            strokeWidth={2}
            dot={s.main.length <= 40 ? { r: 2.5 } : false}
            isAnimationActive={false}
          />,
          s.side.length > 0 && (
            <Line
              key={`${run.id}-side`}
              data={s.side}
              dataKey="lg"
              name={run.name}
              stroke="none"
              dot={{ r: 3.5, fill: '#fff', stroke: color, strokeWidth: 1.5 }}
              activeDot={{ r: 4 }}
              isAnimationActive={false}
              legendType="none"
            />
          ),
        ])}
      </LineChart>
    </ResponsiveContainer>
  );
}
