// Batched messaging: metric points and layer norms from every run are collected and posted together at most
// every METRICS_MS, so the UI gets a few messages a second however fast the runs step.
import type { LayerNorms, MetricPoint, WorkerEvent } from './protocol';

export type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

const METRICS_MS = 100;

export class Outbox {
  private metricsQueue: MetricPoint[] = [];
  private normsQueue: LayerNorms[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly post: Post) {}

  metrics(points: MetricPoint[]): void {
    this.metricsQueue.push(...points);
    this.timer ??= setTimeout(() => this.flush(), METRICS_MS);
  }

  layerNorms(point: LayerNorms): void {
    this.normsQueue.push(point);
    this.timer ??= setTimeout(() => this.flush(), METRICS_MS);
  }

  /** Posts what is queued now (before an event that must come after these points). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.metricsQueue.length > 0) {
      const points = this.metricsQueue;
      this.metricsQueue = [];
      this.post({ type: 'metrics', points });
    }
    if (this.normsQueue.length > 0) {
      const points = this.normsQueue;
      this.normsQueue = [];
      this.post({ type: 'layerNorms', points });
    }
  }
}
