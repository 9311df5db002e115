// The readout of a plain-vs-residual comparison: training error of each twin (smoothed) and the gap.
import { pct } from '../lib/format';
import { useApp } from '../store';
import type { RunView } from '../store/types';
import { metricSeries } from '../lib/chartData';
import { latestTestAcc } from './RunList';

function twinsOf(runs: Record<string, RunView>, order: string[], selectedId?: string): [RunView, RunView] | undefined {
  const groupId = (selectedId && runs[selectedId]?.groupId) || [...order].reverse().map((id) => runs[id].groupId).find(Boolean);
  if (!groupId) return undefined;
  const members = order.map((id) => runs[id]).filter((r) => r.groupId === groupId);
  const res = members.find((r) => r.config?.model.arch === 'residual' || r.form?.arch === 'residual');
  const plain = members.find((r) => r.config?.model.arch === 'plain' || r.form?.arch === 'plain');
  return res && plain ? [plain, res] : undefined;
}

export function ComparePanel() {
  const runs = useApp((s) => s.runs);
  const order = useApp((s) => s.order);
  const selectedId = useApp((s) => s.selectedId);
  const smoothing = useApp((s) => s.smoothing);
  const twins = twinsOf(runs, order, selectedId);

  return (
    <section className="panel compare-panel" aria-labelledby="compare-title">
      <header className="panel-head">
        <h2 id="compare-title">Plain vs residual</h2>
      </header>
      {!twins ? (
        <p className="muted small">“Compare plain vs residual” trains both nets of the chosen depth on the same batches. The paper’s degradation problem: the deeper plain net trains to a higher error than its residual twin.</p>
      ) : (
        <Readout plain={twins[0]} res={twins[1]} smoothing={smoothing} />
      )}
    </section>
  );
}

function Readout({ plain, res, smoothing }: { plain: RunView; res: RunView; smoothing: number }) {
  const pe = metricSeries(plain.metrics, smoothing).lastTrainErr;
  const re = metricSeries(res.metrics, smoothing).lastTrainErr;
  const gap = pe !== undefined && re !== undefined ? (pe - re) * 100 : undefined;
  const pt = latestTestAcc(plain, 'eval');
  const rt = latestTestAcc(res, 'eval');
  const testGap = pt && rt ? (rt.accuracy - pt.accuracy) * 100 : undefined;
  return (
    <div className="readout" data-testid="compare-readout" aria-live="polite">
      <div className="twin">
        <span className="muted">{plain.name}</span>
        <b>{pct(pe)}</b>
        <span className="muted small">train error</span>
      </div>
      <div className="twin">
        <span className="muted">{res.name}</span>
        <b>{pct(re)}</b>
        <span className="muted small">train error</span>
      </div>
      <div className="twin gap">
        <span className="muted">Gap</span>
        <b data-testid="compare-gap">{gap === undefined ? '—' : `${gap >= 0 ? '+' : ''}${gap.toFixed(1)} pts`}</b>
        <span className="muted small">{gap === undefined ? 'waiting for steps' : gap >= 0 ? 'plain trains worse' : 'plain ahead so far'}</span>
      </div>
      {testGap !== undefined && (
        <p className="muted small span3">
          Test accuracy (BN eval): {plain.name} {pct(pt!.accuracy)} vs {res.name} {pct(rt!.accuracy)} at steps {pt!.step} / {rt!.step}.
        </p>
      )}
    </div>
  );
}
