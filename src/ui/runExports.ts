// A run's exports from its row: metrics as CSV or JSON, and the PyTorch script (src/train/torchScript.ts).
import { download, fileSafe, metricsCsv, metricsJson, torchScript, torchScriptFileName } from './lib/exportRun';
import { useApp } from './store';

const get = useApp.getState;

export function exportMetrics(runId: string, format: 'csv' | 'json'): void {
  const r = get().runs[runId];
  if (!r) return;
  const base = fileSafe(r.name);
  if (format === 'csv') download(`${base}-metrics.csv`, metricsCsv(r), 'text/csv');
  else download(`${base}-metrics.json`, metricsJson(r), 'application/json');
}

/** The run's network, recipe and seed as a self-contained PyTorch script (it loads the run's saved weights). */
export function exportTorchScript(runId: string): void {
  const r = get().runs[runId];
  if (!r?.config) return;
  let text: string;
  try {
    text = torchScript(r.name, r.config);
  } catch (e) {
    get().pushAlert({
      code: 'bad-config',
      message: `No PyTorch script for "${r.name}": ${(e as Error).message}.`,
      advice: "Its weights carry torchvision's names (conv1.weight, layer1.0.conv1.weight, ...): Download weights.",
    });
    return;
  }
  download(torchScriptFileName(r.name), text, 'text/x-python');
}
