// The per-layer gradient norms over training time (the samples the worker reports while a run trains): a layer x
// step heat map per run, on one log colour scale shared by the runs, so a BN-off plain net's vanishing gradients
// (dark first layers) stand against a BN net's even ones. Its latest column is the "Gradient norm per layer" chart.
import { gradientSpan, formatRatio } from '../../lib/evidence';
import { useLabRuns } from './labRuns';

const isMain = (name: string) => !/(^|\.)shortcut\./.test(name);

function color(lg: number, lo: number, hi: number): string {
  const t = hi > lo ? (lg - lo) / (hi - lo) : 0.5;
  return `hsl(${(240 - 190 * t).toFixed(0)}, 80%, ${(22 + 50 * t).toFixed(0)}%)`;
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
          const W = 260;
          const H = 160;
          const cw = W / m.samples.length;
          const ch = H / m.rows.length;
          const bn = m.run.config?.model.batchNorm ?? m.run.form?.bn ?? true;
          const span = gradientSpan(m.samples.at(-1)!);
          return (
            <figure key={m.run.id} className="lab-chart" aria-label={`${m.run.name} gradient norms over training heat map`}>
              <figcaption className="chart-title">
                {m.run.name} (BN {bn ? 'on' : 'off'}): steps {m.samples[0].step}–{m.samples.at(-1)!.step}
              </figcaption>
              <svg
                viewBox={`0 0 ${W} ${H}`}
                role="img"
                aria-label={`${m.run.name}: layers (input at the top) by step`}
                width="100%"
                style={{ maxWidth: 300 }}
              >
                {m.samples.flatMap((s, x) =>
                  m.rows.map(({ n, i }, y) => {
                    const v = s.grad[i];
                    return (
                      <rect
                        key={`${x}-${y}`}
                        className="lab-cell"
                        x={x * cw}
                        y={y * ch}
                        width={cw + 0.3}
                        height={ch + 0.3}
                        fill={v > 0 && Number.isFinite(v) ? color(Math.log10(v), lo, hi) : '#e2e8f0'}
                      >
                        <title>{`${n} at step ${s.step}: ${v.toPrecision(3)}`}</title>
                      </rect>
                    );
                  }),
                )}
              </svg>
              <span className="muted small">
                rows: layers, input at the top; columns: samples over training
                {span ? `; now first/last conv ${formatRatio(span.ratio)}` : ''}
              </span>
            </figure>
          );
        })}
      </div>
      <p className="muted small">
        Colour: log10 of the gradient norm, from 1e{lo.toFixed(1)} (dark) to 1e{hi.toFixed(1)} (light), shared by the runs. He et al. (2015,
        Sec. 4.1) report that with BatchNorm the backward signals of their plain nets keep healthy norms, so vanishing gradients do not
        explain the degradation; without normalisation, deep plain nets are known to suffer from them (Glorot and Bengio 2010). Each run’s
        caption gives its own first/last ratio.
      </p>
    </div>
  );
}
