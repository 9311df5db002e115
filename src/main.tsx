// App entry: checks for WebGPU, restores saved runs, keeps the config in the URL, starts the worker.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { NoWebGpu } from './ui/components/NoWebGpu';
import { startEngine } from './ui/actions';
import { restoreRuns, startPersistence } from './ui/persistSync';
import { startUrlSync } from './ui/urlSync';
import { startSweepDriver } from './ui/components/story/sweepDriver';
import './ui/styles.css';

const root = createRoot(document.getElementById('root')!);

if (!('gpu' in navigator) || !navigator.gpu) {
  root.render(<NoWebGpu />);
} else {
  startUrlSync();
  void restoreRuns().finally(() => {
    startPersistence();
    startSweepDriver();
  });
  startEngine();
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
