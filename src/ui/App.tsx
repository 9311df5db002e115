// The page: data and configuration on the left; controls, runs, curves, comparison, BN mode and
// inspection on the right. Shows the full-page WebGPU explanation instead when the engine cannot start.
import { Alerts } from './components/Alerts';
import { BnModePanel } from './components/BnModePanel';
import { Charts } from './components/Charts';
import { ComparePanel } from './components/ComparePanel';
import { ConfigForm } from './components/ConfigForm';
import { DataPanel } from './components/DataPanel';
import { InspectPanel } from './components/InspectPanel';
import { LabPanel } from './components/lab/LabPanel';
import { NoWebGpu } from './components/NoWebGpu';
import { RunControls } from './components/RunControls';
import { RunList } from './components/RunList';
import { Story } from './components/story/Story';
import { LearnButton, LearnDock, useLearnOpen } from './components/story/Learn';
import { useApp } from './store';
import { usePublishedHeight } from './components/useElementSize';

function EngineChip() {
  const engine = useApp((s) => s.engine);
  const text =
    engine.status === 'ready'
      ? (engine.adapter ?? 'WebGPU')
      : engine.status === 'starting'
        ? 'Starting WebGPU…'
        : engine.status === 'lost'
          ? 'GPU lost'
          : 'WebGPU failed';
  // Which kernels run and why: tuned on this GPU by the autotuner, or a fixed profile by a rule on the adapter's name.
  const profile =
    engine.status !== 'ready' || !engine.profile
      ? undefined
      : engine.tuneProgress
        ? 'tuning kernels…'
        : engine.tuning?.tuned
          ? 'tuned for this GPU'
          : `${engine.profile} kernels`;
  const title = profile ? `WebGPU adapter: ${engine.adapter}. Kernels: ${engine.profileWhy}.` : 'WebGPU adapter';
  return (
    <span className={`chip engine ${engine.status}`} title={title} data-testid="engine-status">
      <span className={`dot ${engine.status === 'ready' ? 'ok' : engine.status === 'starting' ? 'busy' : 'bad'}`} aria-hidden />
      {text}
      {profile && (
        <span className="muted small" data-testid="engine-profile">
          {' '}
          · {profile}
        </span>
      )}
    </span>
  );
}

export function App() {
  const fatal = useApp((s) => s.engine.fatal);
  const learning = useLearnOpen((s) => s.open);
  const topbar = usePublishedHeight<HTMLElement>('--topbar-height'); // what scrolled-to headings stop below on a phone
  if (fatal) return <NoWebGpu message={fatal.message} advice={fatal.advice} />;
  return (
    <div className="app">
      <header ref={topbar} className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden>
            <svg viewBox="0 0 24 24" width="22" height="22">
              <path d="M4 6h10M4 12h16M4 18h10" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" />
              <path d="M17 4c3 0 3 4 0 4M17 16c3 0 3 4 0 4" stroke="currentColor" strokeWidth="1.6" fill="none" strokeLinecap="round" />
            </svg>
          </span>
          <h1>ResNet Playground</h1>
          <span className="tagline">Deep residual learning on CIFAR-10, trained in your browser with WebGPU</span>
        </div>
        <LearnButton />
        <EngineChip />
      </header>
      <div className={`layout ${learning ? 'learn-open' : ''}`}>
        <aside className="sidebar">
          <DataPanel />
          <ConfigForm />
        </aside>
        <main className="main">
          <RunControls />
          <RunList />
          <Charts />
          <div className="row2">
            <ComparePanel />
            <BnModePanel />
          </div>
          <InspectPanel />
          <LabPanel />
          <Story />
        </main>
        <LearnDock />
      </div>
      <Alerts />
    </div>
  );
}
