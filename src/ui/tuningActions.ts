// The kernel tuning as the page drives it (Kernel profile tab): start one, cancel it, export the GPU report.
import type { RunConfig } from '../train/protocol';
import { sendCommand } from './actions';
import { download } from './lib/exportRun';
import { gpuReport } from './lib/gpuReport';
import { useApp } from './store';

/** Times the kernel variants of `model` at `batch` on this GPU; progress and the result come as events. */
export function tuneKernels(model: RunConfig['model'], batch: number): void {
  useApp.setState((s) => ({
    engine: { ...s.engine, tuneProgress: { model: '', batch, done: 0, total: 1, layer: '' }, tuneNote: undefined },
  }));
  sendCommand({ type: 'tune', model, batch });
}

export const cancelTuning = () => sendCommand({ type: 'tuneCancel' });

/** The GPU report (adapter, limits, features, every tuned layer's candidate times) as a JSON download. */
export function exportGpuReport(): void {
  const report = gpuReport(useApp.getState().engine, typeof navigator === 'undefined' ? '' : navigator.userAgent, new Date());
  download(report.fileName, JSON.stringify(report.json, null, 2), 'application/json');
}
