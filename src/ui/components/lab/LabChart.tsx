// A small SVG line chart for the lab's per-layer and per-block numbers: one line per run over relative depth
// (runs of different depths share both ends), y from 0 (or the lowest negative value). Plain SVG: these charts have a few dozen points and
// should draw at once, without the recharts chunk.
import type { ReactNode } from 'react';

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
}

const W = 560;
const H = 170;
const PAD = { l: 46, r: 10, t: 8, b: 22 };

export function LabChart({ title, series, format, yMax, reference, legend, xEnds = ['input', 'output'] }: Props) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  // From 0 (or below it, when some value is negative) to the largest value.
  const bottom = Math.min(0, ...all) * 1.08;
  const top = yMax ?? Math.max(1e-9, ...all, reference?.y ?? 0) * 1.08;
  const x = (i: number, n: number) => PAD.l + (n > 1 ? i / (n - 1) : 0.5) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - (Math.min(v, top) - bottom) / (top - bottom)) * (H - PAD.t - PAD.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => bottom + f * (top - bottom));
  return (
    <figure className="lab-chart" aria-label={`${title} chart`}>
      <figcaption className="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} width="100%">
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(t)} y2={y(t)} stroke="#eef2f7" />
            <text x={PAD.l - 4} y={y(t) + 3} textAnchor="end" fontSize={10} fill="#64748b">
              {format(t)}
            </text>
          </g>
        ))}
        <text x={PAD.l} y={H - 6} fontSize={10} fill="#64748b">
          {xEnds[0]}
        </text>
        <text x={W - PAD.r} y={H - 6} fontSize={10} fill="#64748b" textAnchor="end">
          {xEnds[1]}
        </text>
        {reference && (
          <g>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(reference.y)} y2={y(reference.y)} stroke="#94a3b8" strokeDasharray="2 3" />
            <text x={W - PAD.r} y={y(reference.y) - 3} fontSize={10} fill="#64748b" textAnchor="end">
              {reference.label}
            </text>
          </g>
        )}
        {series.map((s) => {
          const n = s.values.length;
          const pts = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : ([x(i, n), y(v)] as const)));
          const d = pts.map((p, i) => (p ? `${i > 0 && pts[i - 1] ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}` : '')).join('');
          return (
            <g key={s.name} data-series={s.name}>
              <path
                className="lab-line"
                d={d}
                fill="none"
                stroke={s.color}
                strokeWidth={2}
                strokeDasharray={s.dashed ? '5 4' : undefined}
              />
              {pts.map((p, i) =>
                p ? (
                  <circle key={i} cx={p[0]} cy={p[1]} r={2.6} fill={s.color}>
                    <title>{`${s.name} · ${s.labels[i] ?? i + 1}: ${format(s.values[i]!)}`}</title>
                  </circle>
                ) : null,
              )}
            </g>
          );
        })}
      </svg>
      {legend && <div className="chart-key small">{legend}</div>}
    </figure>
  );
}

export function Legend({ items }: { items: { name: string; color: string; dashed?: boolean }[] }) {
  return (
    <>
      {items.map((it) => (
        <span key={it.name} className="legend-item">
          <i className="swatch" style={{ background: it.color, opacity: it.dashed ? 0.6 : 1 }} />
          {it.name}
        </span>
      ))}
    </>
  );
}
