// The per-layer gradient norms over training time (the samples the worker reports while a run trains, and the
// thinned history its stored record keeps): a layer x step heat map per run with its layer and step axes, on one log
// colour scale shared by the runs and drawn as a colour bar, so a BN-off plain net's vanishing gradients (dark
// first layers) stand against a BN net's even ones. Its latest column is the "Gradient norm per layer" chart.
import { gradientSpan, formatRatio } from '../../lib/evidence';
import { useWidth } from '../useElementSize';
import { LABEL as text, labelWidth, shownTicks } from './LabChart';
import { useLabRuns } from './labRuns';
import type { LayerNorms } from '../../../train/protocol';

const isMain = (name: string) => !/(^|\.)shortcut\./.test(name);
const short = (name: string) => name.replace(/\.weight$/, '');

function color(lg: number, lo: number, hi: number): string {
  const t = hi > lo ? (lg - lo) / (hi - lo) : 0.5;
  return `hsl(${(240 - 190 * t).toFixed(0)}, 80%, ${(22 + 50 * t).toFixed(0)}%)`;
}

/** A norm as a person reads it: 0.0042, 0.31, 2.7, 140. */
const norm = (v: number) => (v >= 100 ? v.toFixed(0) : v.toPrecision(2));

function HeatMap({
  name,
  samples,
  rows,
  lo,
  hi,
}: {
  name: string;
  samples: LayerNorms[];
  rows: { n: string; i: number }[];
  lo: number;
  hi: number;
}) {
  const [ref, width] = useWidth<HTMLDivElement>(300);
  const labelW = Math.min(110, Math.max(...rows.map(({ n }) => labelWidth(short(n)))) + 8);
  const W = Math.max(160, Math.min(width, 520));
  const mapW = W - labelW - 8;
  const mapH = Math.max(120, Math.min(rows.length * 14, 300));
  const cw = mapW / samples.length;
  const ch = mapH / rows.length;
  const H = mapH + 20;
  // Every k-th layer's name, so names 13 px apart at least; the steps under the columns likewise.
  const k = Math.max(1, Math.ceil(13 / ch));
  const stepLabels = samples.map((s) => `step ${s.step}`);
  const steps = samples.length === 1 ? [0] : shownTicks(stepLabels, cw);
  return (
    <div ref={ref} className="heat-wrap">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`${name}: layers (input at the top) by step`}>
        {rows.map(({ n }, y) =>
          y % k === 0 || y === rows.length - 1 ? (
            <text key={n} x={labelW - 4} y={y * ch + ch / 2 + 4} textAnchor="end" {...text} data-tick>
              {short(n)}
            </text>
          ) : null,
        )}
        {samples.flatMap((s, x) =>
          rows.map(({ n, i }, y) => {
            const v = s.grad[i];
            return (
              <rect
                key={`${x}-${y}`}
                className="lab-cell"
                x={labelW + x * cw}
                y={y * ch}
                width={cw + 0.3}
                height={ch + 0.3}
                fill={v > 0 && Number.isFinite(v) ? color(Math.log10(v), lo, hi) : '#e2e8f0'}
              >
                <title>{`${short(n)} at step ${s.step}: ${v.toPrecision(3)}`}</title>
              </rect>
            );
          }),
        )}
        {steps.map((x) => (
          <text
            key={x}
            x={labelW + (samples.length === 1 ? mapW / 2 : x * cw + (x === samples.length - 1 ? cw : 0))}
            y={mapH + 14}
            textAnchor={samples.length === 1 ? 'middle' : x === 0 ? 'start' : x === samples.length - 1 ? 'end' : 'middle'}
            {...text}
            data-tick
          >
            {stepLabels[x]}
          </text>
        ))}
      </svg>
    </div>
  );
}

/** The shared colour scale: log10 of the norm from lo to hi, labelled in plain numbers. */
function ColourBar({ lo, hi }: { lo: number; hi: number }) {
  const W = 260;
  const stops = Array.from({ length: 11 }, (_, j) => lo + ((hi - lo) * j) / 10);
  const ticks = hi > lo ? [lo, (lo + hi) / 2, hi] : [lo];
  const x = (lg: number) => 4 + (hi > lo ? (lg - lo) / (hi - lo) : 0.5) * (W - 8);
  return (
    <figure className="lab-chart colour-bar" aria-label="Colour scale">
      <figcaption className="small muted">Gradient norm (log scale; dark is small, light is large), shared by the runs</figcaption>
      <svg
        viewBox={`0 0 ${W} 30`}
        width={W}
        height={30}
        role="img"
        aria-label={`gradient norm from ${norm(10 ** lo)} to ${norm(10 ** hi)}`}
      >
        <defs>
          <linearGradient id="grad-flow-scale">
            {stops.map((lg, j) => (
              <stop key={j} offset={`${j * 10}%`} stopColor={color(lg, lo, hi)} />
            ))}
          </linearGradient>
        </defs>
        <rect x={4} y={0} width={W - 8} height={12} fill="url(#grad-flow-scale)" />
        {ticks.map((lg, j) => (
          <text
            key={j}
            x={x(lg)}
            y={26}
            textAnchor={ticks.length > 1 && j === 0 ? 'start' : j === ticks.length - 1 && ticks.length > 1 ? 'end' : 'middle'}
            {...text}
            data-tick
          >
            {norm(10 ** lg)}
          </text>
        ))}
      </svg>
    </figure>
  );
}

export function GradientFlow() {
  const runs = useLabRuns().filter((r) => r.run.layerNorms?.length);
  if (runs.length === 0)
    return <p className="muted small">Per-layer gradient norms appear here while the selected run (and its twin) trains.</p>;
  const maps = runs.map((r) => {
    const samples = r.run.layerNorms!;
    const rows = samples[0].layers.map((n, i) => ({ n, i })).filter(({ n }) => isMain(n));
    return { ...r, samples, rows };
  });
  const all = maps.flatMap((m) => m.samples.flatMap((s) => m.rows.map(({ i }) => s.grad[i]))).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(Math.min(...all));
  const hi = Math.log10(Math.max(...all));
  return (
    <div className="lab-body">
      <div className="lab-hists">
        {maps.map((m) => {
          const bn = m.run.config?.model.batchNorm ?? m.run.form?.bn ?? true;
          const span = gradientSpan(m.samples.at(-1)!);
          const first = m.samples[0].step;
          const last = m.samples.at(-1)!.step;
          return (
            <figure key={m.run.id} className="lab-chart" aria-label={`${m.run.name} gradient norms over training heat map`}>
              <figcaption className="chart-title">
                {m.run.name} (BN {bn ? 'on' : 'off'}): {m.samples.length === 1 ? `step ${first}` : `steps ${first}–${last}`}
              </figcaption>
              <HeatMap name={m.run.name} samples={m.samples} rows={m.rows} lo={lo} hi={hi} />
              <span className="muted small" data-testid="gradient-flow-caption">
                {m.samples.length === 1
                  ? `One sample so far, at step ${first}: a column is added each time the run reports its gradients while it trains`
                  : `${m.samples.length} samples over training, one column each (left: step ${first}, right: step ${last})`}
                ; rows: layers, input at the top
                {span ? `; now first/last conv ${formatRatio(span.ratio)}` : ''}
              </span>
            </figure>
          );
        })}
      </div>
      <ColourBar lo={lo} hi={hi} />
      <p className="muted small">
        He et al. (2015, Sec. 4.1) report that with BatchNorm the backward signals of their plain nets keep healthy norms, so vanishing
        gradients do not explain the degradation; without normalisation, deep plain nets are known to suffer from them (Glorot and Bengio
        2010). Each run’s caption gives its own first/last ratio.
      </p>
    </div>
  );
}
