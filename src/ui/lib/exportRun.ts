// A run's metrics as CSV or JSON, its network and recipe as a PyTorch script, (the formatting is shared with the headless trainer, src/train/metricsFormat.ts),
// and saving bytes as a download.
export { fileSafe, metricsCsv, metricsJson, type ExportableRun } from '../../train/metricsFormat';
// "Export as PyTorch script": the pure generator the headless CLI and the GPU kit use too.
export { torchScript, torchScriptFileName } from '../../train/torchScript';

export function download(fileName: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
