// A small SVG line chart for the lab's per-layer and per-block numbers: one line per run over relative depth
// (runs of different depths share both ends), y from 0 (or the lowest negative value). Plain SVG: these charts have a few dozen points and
// should draw at once, without the recharts chunk. Drawn at the figure's own pixel width (not scaled from a
// fixed viewBox), so its labels are 11 px in a half-width chart as in a full one.
import type { ReactNode } from 'react';
import { DOT_RADIUS, type LineStyle } from '../../lib/lineStyles';
import { LineKey } from '../LineKey';
import { useWidth } from '../useElementSize';

export interface LabSeries {
  name: string;
  color: string;
  /** Input to output; null leaves a gap. */
  values: (number | null)[];
  /** Names of the points (layers or blocks), for the tooltips. */
  labels: string[];
  dashed?: boolean;
}

interface Props {
  title: string;
  series: LabSeries[];
  format: (v: number) => string;
  /** Upper end of the y axis; defaults to the largest value. */
  yMax?: number;
  /** A horizontal reference line (e.g. chance error). */
  reference?: { y: number; label: string };
  legend?: ReactNode;
  /** Labels of the x axis' ends (default input, output). */
  xEnds?: [string, string];
  /** A label under each point instead of the ends (as many as shown fit; the rest are in the tooltips). */
  xLabels?: string[];
}

const H = 170;
/** The lab charts' label size (px) and style, drawn 1:1 (GradientFlow's heat maps use them too). */
export const FONT = 11;
export const LABEL = { fontSize: FONT, fill: '#64748b' };
const PAD = { l: 46, r: 12, t: 10, b: 24 };
/** Dash patterns shared with the legend keys, so a key looks like its line. */
export const DASH = '5 4';

/** Rough width of a label at FONT px (the UI font's digits and lowercase average about 0.6 em). */
export const labelWidth = (s: string) => s.length * FONT * 0.6;

/** Which of n evenly spaced point labels to show so that none touches the next: every k-th, from the first. */
export function shownTicks(labels: readonly string[], spacing: number): number[] {
  const widest = Math.max(0, ...labels.map(labelWidth)) + 8;
  const k = Math.max(1, Math.ceil(widest / Math.max(spacing, 1e-9)));
  return labels.map((_, i) => i).filter((i) => i % k === 0);
}

export function LabChart({ title, series, format, yMax, reference, legend, xEnds = ['input', 'output'], xLabels }: Props) {
  const [ref, W] = useWidth<HTMLElement>(560);
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  // From 0 (or below it, when some value is negative) to the largest value.
  const bottom = Math.min(0, ...all) * 1.08;
  const top = yMax ?? Math.max(1e-9, ...all, reference?.y ?? 0) * 1.08;
  const x = (i: number, n: number) => PAD.l + (n > 1 ? i / (n - 1) : 0.5) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - (Math.min(v, top) - bottom) / (top - bottom)) * (H - PAD.t - PAD.b);
  // Five y ticks: at 170 px tall they stand 27 px apart, over two label heights.
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => bottom + f * (top - bottom));
  const n = xLabels?.length ?? 0;
  const shown = xLabels ? shownTicks(xLabels, n > 1 ? (W - PAD.l - PAD.r) / (n - 1) : W) : [];
  const text = LABEL;
  return (
    <figure ref={ref} className="lab-chart" aria-label={`${title} chart`}>
      <figcaption className="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} width={W} height={H}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(t)} y2={y(t)} stroke="#eef2f7" />
            <text x={PAD.l - 5} y={y(t) + 4} textAnchor="end" {...text}>
              {format(t)}
            </text>
          </g>
        ))}
        {xLabels ? (
          shown.map((i) => (
            <text
              key={i}
              x={x(i, n)}
              y={H - 7}
              textAnchor={n > 1 && i === 0 ? 'start' : n > 1 && i === n - 1 ? 'end' : 'middle'}
              {...text}
              data-tick
            >
              {xLabels[i]}
            </text>
          ))
        ) : (
          <>
            <text x={PAD.l} y={H - 7} {...text}>
              {xEnds[0]}
            </text>
            <text x={W - PAD.r} y={H - 7} textAnchor="end" {...text}>
              {xEnds[1]}
            </text>
          </>
        )}
        {reference && <line x1={PAD.l} x2={W - PAD.r} y1={y(reference.y)} y2={y(reference.y)} stroke="#94a3b8" strokeDasharray="2 3" />}
        {series.map((s) => {
          const n = s.values.length;
          const pts = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : ([x(i, n), y(v)] as const)));
          const d = pts.map((p, i) => (p ? `${i > 0 && pts[i - 1] ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}` : '')).join('');
          return (
            <g key={s.name} data-series={s.name}>
              <path className="lab-line" d={d} fill="none" stroke={s.color} strokeWidth={2} strokeDasharray={s.dashed ? DASH : undefined} />
              {pts.map((p, i) =>
                p ? (
                  <circle key={i} cx={p[0]} cy={p[1]} r={DOT_RADIUS} fill={s.color}>
                    <title>{`${s.name} · ${s.labels[i] ?? i + 1}: ${format(s.values[i]!)}`}</title>
                  </circle>
                ) : null,
              )}
            </g>
          );
        })}
        {reference && (
          // Above the lines, on a white halo, so a curve crossing it does not cross out its word.
          <text x={PAD.l + 4} y={y(reference.y) - 4} {...text} stroke="#fff" strokeWidth={3} paintOrder="stroke" strokeLinejoin="round">
            {reference.label}
          </text>
        )}
      </svg>
      {legend && <div className="chart-key small">{legend}</div>}
    </figure>
  );
}

const SOLID: LineStyle = { width: 2, dot: 'filled' };
const DASHED: LineStyle = { dash: DASH, width: 2, dot: 'filled' };

export function Legend({ items }: { items: { name: string; color: string; dashed?: boolean }[] }) {
  return (
    <>
      {items.map((it) => (
        <span key={it.name} className="legend-item">
          <LineKey color={it.color} style={it.dashed ? DASHED : SOLID} />
          {it.name}
        </span>
      ))}
    </>
  );
}
