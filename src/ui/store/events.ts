// Applies a batch of worker events to the store state in one pass: metrics (and evaluations, layer norms) are
// grouped per run and appended with one array copy per run per batch.
import type { EvalPoint, LayerNorms, MetricPoint, WorkerEvent } from '../../train/protocol';
import { withAlert } from './alerts';
import type { Alert, AppState, RunView } from './types';

const FATAL = new Set(['no-webgpu', 'gpu-limits']);

/**
 * Layer-norm samples kept per run. The chart draws only the latest, but a rollback must find the sample of the
 * state the run went back to: its last good snapshot, taken at least every 100 steps or 5 s (src/train/snapshot.ts),
 * and samples come at most one per step and ~2 per second, so about 100 at most lie past it. 200 keeps one before
 * it (else the chart would go blank until the next sample) at a bounded cost: 200 x 2 x L numbers, ~350 kB for a
 * 110-layer net; the layer names are shared between samples.
 */
export const MAX_NORM_SAMPLES = 200;

/** Appends samples, sharing the previous sample's layer-name array when the names are the same. */
function appendNorms(old: LayerNorms[] | undefined, add: LayerNorms[]): LayerNorms[] {
  const out = old ? old.slice() : [];
  for (const p of add) {
    const prev = out.at(-1)?.layers;
    const same = prev !== undefined && prev.length === p.layers.length && prev.every((n, i) => n === p.layers[i]);
    out.push(same ? { ...p, layers: prev } : p);
  }
  return out.length > MAX_NORM_SAMPLES ? out.slice(-MAX_NORM_SAMPLES) : out;
}

export function reduceEvents(s: AppState, events: WorkerEvent[]): Partial<AppState> {
  const now = Date.now();
  let runs = s.runs;
  let order = s.order;
  let selectedId = s.selectedId;
  let engine = s.engine;
  let data = s.data;
  let alerts = s.alerts;
  let predictions = s.predictions;
  let predicting = s.predicting;
  const newMetrics = new Map<string, MetricPoint[]>();
  const newEvals = new Map<string, EvalPoint[]>();
  const newNorms = new Map<string, LayerNorms[]>();
  const touched = new Set<string>();

  const run = (id: string): RunView | undefined => {
    if (!runs[id]) return undefined;
    if (!touched.has(id)) {
      if (runs === s.runs) runs = { ...runs };
      runs[id] = { ...runs[id] };
      touched.add(id);
    }
    return runs[id];
  };
  const alert = (a: Omit<Alert, 'id'>) => (alerts = withAlert(alerts, a));
  /** A run that never came to be (its checkpoint load failed): gone from the list, the selection and the store. */
  const drop = (id: string) => {
    const { [id]: _gone, ...rest } = runs;
    runs = rest;
    order = order.filter((x) => x !== id);
    if (selectedId === id) selectedId = order.at(-1);
    if (predictions?.runId === id) predictions = undefined;
  };
  // The worker took the run back to `step` (after a NaN loss, or rebuilding it after a device loss): its points past that step, shown or still in this
  // batch, describe weights that no longer exist. Points after the event (the steps trained again) stay.
  const rollBack = (id: string, step: number) => {
    const r = run(id);
    if (!r) return;
    const keep = (p: { step: number }) => p.step <= step;
    r.metrics = r.metrics.filter(keep);
    r.evals = r.evals.filter(keep);
    if (r.layerNorms) {
      const kept = r.layerNorms.filter(keep);
      r.layerNorms = kept.length ? kept : undefined;
    }
    const m = newMetrics.get(id);
    if (m) newMetrics.set(id, m.filter(keep));
    const v = newEvals.get(id);
    if (v) newEvals.set(id, v.filter(keep));
    const n = newNorms.get(id);
    if (n) newNorms.set(id, n.filter(keep));
    r.step = step;
  };

  for (const e of events) {
    switch (e.type) {
      case 'ready':
        engine = {
          ...engine,
          status: 'ready',
          adapter: e.adapter,
          profile: e.profile,
          profileWhy: e.profileWhy,
          maxBufferBytes: e.maxBufferBytes,
          tuning: e.tuning,
          gpu: e.gpu,
        };
        break;
      case 'tuning':
        engine = { ...engine, tuning: e.info, profile: e.info.profile, profileWhy: e.info.why };
        break;
      case 'tuneProgress':
        engine = {
          ...engine,
          tuneProgress: { model: e.model, batch: e.batch, done: e.done, total: e.total, layer: e.layer },
          tuneNote: undefined,
        };
        break;
      case 'tuneEnded':
        engine = {
          ...engine,
          tuneProgress: undefined,
          tuneNote:
            e.outcome === 'cancelled'
              ? 'Tuning cancelled: the kernels stay as they were.'
              : e.outcome === 'failed'
                ? `Tuning failed: ${e.message ?? 'unknown error'}. The kernels stay as they were.`
                : e.message,
        };
        break;
      case 'dataProgress':
        // The worker caches a loaded dataset in the background, after dataReady: not a new load.
        if (e.phase === 'cache') {
          const caching = e.totalBytes !== undefined && e.bytesRead < e.totalBytes;
          data = { ...data, caching, cacheKept: caching ? undefined : e.kept };
        } else
          data = {
            ...data,
            status: 'loading',
            progress: { phase: e.phase, bytesRead: e.bytesRead, totalBytes: e.totalBytes, imagesDecoded: e.imagesDecoded },
          };
        break;
      case 'dataReady':
        data = { status: 'ready', quiet: false, summary: e.summary };
        break;
      case 'runState': {
        const r = run(e.runId);
        if (!r) break;
        if (e.state === 'training' && r.trainingSince === undefined) r.trainingSince = now;
        if (e.state !== 'training' && r.trainingSince !== undefined) {
          r.elapsedMs += now - r.trainingSince;
          r.trainingSince = undefined;
        }
        r.state = e.state;
        // A run being (re)built from a checkpoint reports step 0 until its weights are in: keep what is shown.
        if (e.state !== 'building' || r.step === 0)
          Object.assign(r, {
            step: e.step,
            totalSteps: e.totalSteps || r.totalSteps,
            epoch: e.epoch,
            paramCount: e.paramCount || r.paramCount,
            gpuBytes: e.gpuBytes || r.gpuBytes,
          });
        if (e.state !== 'error') r.error = undefined;
        // A loaded run goes building -> ready -> paused/done; only the last means the weights are in.
        if (r.pendingLoad && e.state !== 'building' && e.state !== 'ready' && e.state !== 'error') r.pendingLoad = undefined;
        break;
      }
      case 'metrics':
        for (const p of e.points) {
          let list = newMetrics.get(p.runId);
          if (!list) newMetrics.set(p.runId, (list = []));
          list.push(p);
        }
        break;
      case 'layerNorms':
        for (const p of e.points) {
          let list = newNorms.get(p.runId);
          if (!list) newNorms.set(p.runId, (list = []));
          list.push(p);
        }
        break;
      case 'evaluation':
        for (const p of e.points) {
          let list = newEvals.get(p.runId);
          if (!list) newEvals.set(p.runId, (list = []));
          list.push(p);
        }
        break;
      case 'predictions': {
        const step = e.step; // the weights measured, not whatever step the run shows when they arrive
        predictions = {
          runId: e.runId,
          bnMode: e.bnMode,
          pixels: e.pixels,
          labels: e.labels,
          predicted: e.predicted,
          confusion: e.confusion,
          accuracy: e.accuracy,
          step,
        };
        predicting = false;
        break;
      }
      case 'checkpoint':
      case 'storage':
        break; // handled by actions (download or store; storage figures), never kept in this state
      case 'error': {
        if (FATAL.has(e.code) && !e.runId) {
          engine = { ...engine, status: 'failed', fatal: { code: e.code, message: e.message, advice: e.advice } };
          break;
        }
        if (e.code === 'no-data' && !e.runId && data.status === 'loading') {
          // Only the browser-cache source fails this way: "nothing cached yet" is not worth a message.
          if (data.quiet)
            data = { ...data, quiet: false, status: data.summary ? 'ready' : 'none', progress: undefined, loadingFrom: undefined };
          break;
        }
        if (e.code === 'bad-data' && !e.runId) {
          const rest = { ...data, progress: undefined, loadingFrom: undefined };
          // A damaged cached copy is dropped quietly: the user just loads the data again.
          data = data.quiet
            ? { ...rest, quiet: false, status: data.summary ? 'ready' : 'none' }
            : { ...rest, status: data.summary ? 'ready' : 'error', error: { message: e.message, advice: e.advice } };
          break;
        }
        if (e.runId && e.rolledBackTo !== undefined) rollBack(e.runId, e.rolledBackTo);
        const r = e.runId ? run(e.runId) : undefined;
        if (r) r.error = e.rolledBackTo !== undefined && e.code === 'device-lost' ? undefined : e.message;
        if (e.code === 'device-lost' && !e.runId && !e.recovering) {
          // The worker could not rebuild the runs on a new device: they stay on screen as curves.
          engine = { ...engine, status: 'lost' };
          for (const id of order) {
            const lost = run(id)!;
            if (lost.pendingLoad) {
              drop(id); // the load never finished, and the worker that had the file is gone
              continue;
            }
            if (lost.trainingSince !== undefined) lost.elapsedMs += now - lost.trainingSince;
            Object.assign(lost, { live: false, trainingSince: undefined });
          }
        }
        predicting = false;
        alert({ code: e.code, message: e.message, advice: e.advice, runId: r?.pendingLoad ? undefined : e.runId, runName: r?.name });
        // A checkpoint that could not be loaded (damaged file, no data, GPU too small) leaves no run behind.
        if (r?.pendingLoad) drop(r.id);
        break;
      }
      case 'speed':
        engine = { ...engine, speedProbe: e.probe ?? engine.speedProbe, speedProbeError: e.error, speedProbing: false };
        break;
      case 'memoryPlan':
        break; // answered to the story panel that asked (actions.ts eventListeners)
      case 'labResponses':
      case 'labLesion':
      case 'labBn':
      case 'labHistogram':
      case 'labProfile':
      case 'labLandscape':
      case 'labProgress':
      case 'labSaliency':
        break; // the lab's own store (store/lab.ts)
      default:
        e satisfies never;
    }
  }

  for (const [id, pts] of newMetrics) {
    const r = run(id);
    if (!r || pts.length === 0) continue;
    r.metrics = r.metrics.concat(pts);
    const last = pts[pts.length - 1];
    if (last.step > r.step) r.step = last.step;
    r.epoch = Math.max(r.epoch, last.epoch);
    if (last.gpuBytes) r.gpuBytes = last.gpuBytes;
  }
  for (const [id, pts] of newEvals) {
    const r = run(id);
    if (r && pts.length > 0) r.evals = r.evals.concat(pts);
  }
  for (const [id, pts] of newNorms) {
    const r = run(id);
    if (r && pts.length > 0) r.layerNorms = appendNorms(r.layerNorms, pts);
  }
  return { runs, order, selectedId, engine, data, alerts, predictions, predicting };
}
