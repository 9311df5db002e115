// A run's metrics as CSV or JSON (the formatting is shared with the headless trainer, src/train/metricsFormat.ts),
// and saving bytes as a download.
export { fileSafe, metricsCsv, metricsJson, type ExportableRun } from '../../train/metricsFormat';

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
