// The depth sweep's plot: final training and test error against depth for residual and plain nets, with the
// paper's Table 6 ResNet test errors as marks (the paper gives plain-net errors as curves only, so none is drawn). Loaded on demand (recharts).
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { sweepChartRows, type Sweep } from './sweep';

const AXIS = { fontSize: 11, fill: '#64748b' };
const RES = '#2563eb';
const PLAIN = '#ea580c';

export default function SweepChart({ sweep }: { sweep: Sweep }) {
  const rows = sweepChartRows(sweep);
  const fmt = (v: unknown) => (typeof v === 'number' ? `${v.toFixed(2)}%` : String(v));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={rows} margin={{ top: 6, right: 12, bottom: 0, left: -8 }}>
        <CartesianGrid stroke="#eef2f7" />
        <XAxis
          dataKey="depth"
          type="number"
          domain={['dataMin', 'dataMax']}
          ticks={rows.map((r) => r.depth as number)}
          tick={AXIS}
          label={{ value: 'depth (layers)', position: 'insideBottomRight', offset: -2, fontSize: 11 }}
        />
        <YAxis tick={AXIS} domain={[0, 'auto']} width={44} unit="%" />
        <Tooltip formatter={fmt} labelFormatter={(d: unknown) => `depth ${Number(d)}`} contentStyle={{ fontSize: 12 }} />
        <Legend wrapperStyle={{ fontSize: 11 }} />
        <Line
          dataKey="residualTest"
          name="ResNet test"
          stroke={RES}
          strokeWidth={2}
          dot={{ r: 3 }}
          connectNulls
          isAnimationActive={false}
        />
        <Line
          dataKey="residualTrain"
          name="ResNet train"
          stroke={RES}
          strokeDasharray="5 4"
          dot={{ r: 2 }}
          connectNulls
          isAnimationActive={false}
        />
        <Line dataKey="plainTest" name="plain test" stroke={PLAIN} strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
        <Line
          dataKey="plainTrain"
          name="plain train"
          stroke={PLAIN}
          strokeDasharray="5 4"
          dot={{ r: 2 }}
          connectNulls
          isAnimationActive={false}
        />
        <Line
          dataKey="paper"
          name="He et al. Table 6 (ResNet test)"
          stroke="none"
          dot={{ r: 5, fill: '#0f172a', stroke: '#0f172a' }}
          isAnimationActive={false}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}
