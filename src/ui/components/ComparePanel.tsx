// The readout of a plain-vs-residual comparison: training error of each twin over its latest steps and the gap with
// its standard error (lib/evidence.ts), which says "not distinguishable yet" while the gap is within batch noise.
import { pct } from '../lib/format';
import { useApp } from '../store';
import type { RunView } from '../store/types';
import { errorGap, gapVerdict, windowWords } from '../lib/evidence';
import { latestTestAcc } from './RunList';

function twinsOf(runs: Record<string, RunView>, order: string[], selectedId?: string): [RunView, RunView] | undefined {
  const groupId =
    (selectedId && runs[selectedId]?.groupId) ||
    [...order]
      .reverse()
      .map((id) => runs[id].groupId)
      .find(Boolean);
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
  const twins = twinsOf(runs, order, selectedId);

  return (
    <section className="panel compare-panel" aria-labelledby="compare-title">
      <header className="panel-head">
        <h2 id="compare-title">Plain vs residual</h2>
      </header>
      {!twins ? (
        <p className="muted small">
          “Compare plain vs residual” trains both nets of the chosen depth on the same batches. He et al. (2015, Fig. 6) report the
          degradation problem: from 20 layers on, the deeper plain net trains to a higher error than its residual twin. The readout here
          says what your twins show.
        </p>
      ) : (
        <Readout plain={twins[0]} res={twins[1]} />
      )}
    </section>
  );
}

function Readout({ plain, res }: { plain: RunView; res: RunView }) {
  const g = errorGap(plain.metrics, res.metrics);
  const gap = g && g.gap * 100;
  const se = g && g.se * 100;
  const verdict = gapVerdict(g);
  const pt = latestTestAcc(plain, 'eval');
  const rt = latestTestAcc(res, 'eval');
  const testGap = pt && rt ? (rt.accuracy - pt.accuracy) * 100 : undefined;
  return (
    <div className="readout" data-testid="compare-readout" aria-live="polite">
      <div className="twin">
        <span className="muted">{plain.name}</span>
        <b>{pct(g?.plain)}</b>
        <span className="muted small">train error</span>
      </div>
      <div className="twin">
        <span className="muted">{res.name}</span>
        <b>{pct(g?.residual)}</b>
        <span className="muted small">train error</span>
      </div>
      <div className="twin gap">
        <span className="muted">Gap</span>
        <b data-testid="compare-gap">{gap === undefined ? '—' : `${gap >= 0 ? '+' : ''}${gap.toFixed(1)} ± ${se!.toFixed(1)} pts`}</b>
        <span className="muted small" data-testid="compare-verdict">
          {verdict}
        </span>
      </div>
      {g && (
        <p className="muted small span3">
          Mean per-batch training error over {windowWords(g.steps)}; ± one standard error from the spread of those batches. Within two
          standard errors the gap is batch noise. He et al. (2015, Fig. 6) show the degradation in nets of 20 to 56 layers trained for tens
          of thousands of steps.
        </p>
      )}
      {testGap !== undefined && (
        <p className="muted small span3">
          Test accuracy (BN eval): {plain.name} {pct(pt!.accuracy)} vs {res.name} {pct(rt!.accuracy)} at steps {pt!.step} / {rt!.step}.
        </p>
      )}
    </div>
  );
}
