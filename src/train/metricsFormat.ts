// A run's metrics as CSV or JSON: the app's "Export" (src/ui/lib/exportRun.ts) and the headless trainer
// (src/node/train.ts) both write these, so a file from either opens the same way. Pure: protocol types only.
import type { EvalPoint, MetricPoint, RunConfig } from './protocol';

export interface ExportableRun {
  name: string;
  config?: RunConfig;
  metrics: readonly MetricPoint[];
  evals: readonly EvalPoint[];
}

/** One row per training step (kind=train) and per evaluation (kind=eval), in step order. */
export function metricsCsv(r: ExportableRun): string {
  const head = 'kind,step,epoch,lr,train_loss,train_acc,images_per_sec,gpu_bytes,split,bn_mode,eval_loss,eval_accuracy,eval_images';
  type Row = { step: number; order: number; cells: (string | number)[] };
  const rows: Row[] = [
    ...r.metrics.map((m, i): Row => ({
      step: m.step,
      order: i,
      cells: ['train', m.step, m.epoch, m.lr, m.trainLoss, m.trainAcc, m.imagesPerSec, m.gpuBytes, '', '', '', '', ''],
    })),
    ...r.evals.map((e, i): Row => ({
      step: e.step,
      order: 1e9 + i,
      cells: ['eval', e.step, e.epoch, '', '', '', '', '', e.split, e.bnMode, e.loss, e.accuracy, e.images],
    })),
  ];
  rows.sort((a, b) => a.step - b.step || a.order - b.order);
  return [head, ...rows.map((row) => row.cells.join(','))].join('\n') + '\n';
}

export function metricsJson(r: ExportableRun): string {
  const strip = <T extends { runId: string }>({ runId: _, ...rest }: T) => rest;
  return JSON.stringify({ name: r.name, config: r.config, metrics: r.metrics.map(strip), evaluations: r.evals.map(strip) }, null, 1);
}

/** A run name as a file name: what the exported files are called (`<fileSafe(name)>-metrics.csv`). */
export const fileSafe = (name: string) => name.replace(/[^a-z0-9._-]+/gi, '_').replace(/^_+|_+$/g, '') || 'run';
