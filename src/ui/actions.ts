// What the user can ask for, turned into protocol commands; and the side effects of worker events that
// do not belong in the store (downloads, stored checkpoints). The only module that holds the client.
import type { Command, DataSource, RunConfig, WorkerEvent } from '../train/protocol';
import { toRunConfig, fromRunConfig, type FormConfig } from './lib/formConfig';
import { download, fileSafe, metricsCsv, metricsJson, torchScript, torchScriptFileName } from './lib/exportRun';
import { nameRun } from './lib/runNaming';
import { loadCheckpoint, saveCheckpoint } from './lib/persist';
import { createTrainerClient, type TrainerClient } from './trainerClient';
import { useApp } from './store';
import type { RunView } from './store/types';

let client: TrainerClient | undefined;
/** Why a checkpoint was asked for: to download it, or to keep it in the browser. */
const pendingSaves = new Map<string, ('download' | 'keep')[]>();
/** Runs whose weights were already kept since they last finished or stopped. */
const keptFinal = new Set<string>();
let runCounter = 0;

const newRunId = () => `r${Date.now().toString(36)}${(++runCounter).toString(36)}`;
const send = (cmd: Command) => client?.send(cmd);
const get = useApp.getState;

function onEvents(events: WorkerEvent[]): void {
  const before = get().runs;
  get().applyEvents(events);
  for (const e of events) {
    if (e.type === 'error' && e.runId && before[e.runId] && !get().runs[e.runId]) {
      // A failed checkpoint load (the store dropped its run): the worker frees whatever it had built of it.
      send({ type: 'deleteRun', runId: e.runId });
    } else if (e.type === 'ready') {
      // Quietly try the dataset cached by an earlier visit.
      if (get().data.status !== 'ready') loadData({ kind: 'cache' }, 'browser cache', true);
    } else if (e.type === 'checkpoint') {
      const why = pendingSaves.get(e.runId)?.shift() ?? 'download';
      if (why === 'download') download(e.fileName, e.bytes, 'application/octet-stream');
      void saveCheckpoint(e.runId, e.fileName, e.bytes).then(
        () => get().patchRun(e.runId, { hasCheckpoint: true }),
        () => undefined,
      );
    } else if (e.type === 'runState') {
      // Keep the weights of a finished run, so it can be continued or evaluated after a reload.
      if (e.state === 'done' || e.state === 'stopped') {
        if (!keptFinal.has(e.runId)) requestSave(e.runId, 'keep');
        keptFinal.add(e.runId);
      } else keptFinal.delete(e.runId);
    }
  }
}

export function startEngine(): void {
  client ??= createTrainerClient(onEvents);
}

/** After a lost device: a fresh worker. Runs of the old one stay on screen, no longer live. */
export function restartEngine(): void {
  const s = get();
  for (const id of s.order) if (s.runs[id].live) s.patchRun(id, { live: false, trainingSince: undefined, state: s.runs[id].state === 'training' ? 'stopped' : s.runs[id].state });
  useApp.setState({ engine: { status: 'starting' }, data: { status: 'none', quiet: false } });
  pendingSaves.clear();
  client?.restart();
}

export function loadData(source: DataSource, label: string, quiet = false): void {
  useApp.setState((s) => ({ data: { ...s.data, status: 'loading', quiet, loadingFrom: label, progress: undefined, error: undefined } }));
  send({ type: 'loadData', source });
}

function addRun(id: string, name: string, form: FormConfig | undefined, extra: Partial<RunView> = {}): void {
  get().addRun({
    id,
    name,
    form,
    config: form ? toRunConfig(form) : undefined,
    createdAt: Date.now(),
    state: 'building',
    live: true,
    step: 0,
    totalSteps: 0,
    epoch: 0,
    paramCount: 0,
    gpuBytes: 0,
    metrics: [],
    evals: [],
    elapsedMs: 0,
    hasCheckpoint: false,
    ...extra,
  });
}

const existing = () => get().order.map((id) => ({ name: get().runs[id].name, form: get().runs[id].form }));

/** A new run from the form; started at once unless `start` is false. */
export function train(start = true): string {
  const form = get().form;
  const id = newRunId();
  const name = nameRun(form, existing());
  addRun(id, name, form);
  get().select(id);
  send({ type: 'createRun', runId: id, name, config: toRunConfig(form), start });
  return id;
}

/** Twin runs of the form's depth, residual and plain, same seed and batches, trained interleaved. */
export function comparePlainVsResidual(): void {
  const form = get().form;
  const groupId = `g${newRunId()}`;
  const twins = (['residual', 'plain'] as const).map((arch) => ({ form: { ...form, arch }, id: newRunId() }));
  const named = twins.map((t) => {
    const name = nameRun(t.form, existing());
    addRun(t.id, name, t.form, { groupId });
    return { runId: t.id, name, config: toRunConfig(t.form) };
  });
  get().select(twins[0].id);
  send({ type: 'createGroup', runs: named, start: true });
}

export const pause = (runId: string) => send({ type: 'pause', runId });
export const resume = (runId: string) => send({ type: 'resume', runId });
export const stop = (runId: string) => send({ type: 'stop', runId });

/** One training step of the selected run (a new paused run from the form when there is none to step). */
export function stepOnce(): void {
  const r = get().selectedId ? get().runs[get().selectedId!] : undefined;
  const steppable = r && r.live && (r.state === 'ready' || r.state === 'paused' || r.state === 'building');
  const id = steppable ? r.id : train(false);
  send({ type: 'step', runId: id, count: 1 });
}

export function evaluate(runId: string, bnModes: ('eval' | 'train')[]): void {
  send({ type: 'evaluate', runId, split: 'test', bnModes });
}

export function predict(runId: string, bnMode: 'eval' | 'train', count = 32): void {
  get().setView({ predicting: true });
  send({ type: 'predict', runId, count, bnMode });
}

function requestSave(runId: string, why: 'download' | 'keep'): void {
  const list = pendingSaves.get(runId) ?? [];
  list.push(why);
  pendingSaves.set(runId, list);
  send({ type: 'save', runId });
}

/** Downloads the run's weights: from the worker when the run is live, else the copy kept in the browser. */
export async function saveWeights(runId: string): Promise<void> {
  const r = get().runs[runId];
  if (r?.live) return requestSave(runId, 'download');
  const kept = await loadCheckpoint(runId).catch(() => undefined);
  if (kept) download(kept.fileName, kept.bytes, 'application/octet-stream');
  else get().pushAlert({ code: 'bad-checkpoint', message: `No weights are kept for "${r?.name ?? runId}".`, advice: 'Weights are kept when a run finishes or is stopped, or when you save them.' });
}

/** A checkpoint file becomes a new paused run; if the worker cannot load it, the run is dropped again (pendingLoad). */
export async function loadCheckpointFile(file: File): Promise<void> {
  const bytes = await file.arrayBuffer();
  const id = newRunId();
  const meta = readRunConfig(bytes);
  const form = meta ? fromRunConfig(meta) : undefined;
  const name = form ? nameRun(form, existing()) : file.name.replace(/\.safetensors$/i, '');
  addRun(id, name, form, { pendingLoad: true });
  get().select(id);
  send({ type: 'load', runId: id, name, bytes });
}

/** Continues a run restored from storage from the checkpoint kept for it (a new live run, same name). */
export async function continueRun(runId: string): Promise<void> {
  const r = get().runs[runId];
  const kept = await loadCheckpoint(runId).catch(() => undefined);
  if (!r || !kept) return;
  get().patchRun(runId, { live: true, state: 'building', error: undefined });
  send({ type: 'load', runId, name: r.name, bytes: kept.bytes });
}

export function deleteRun(runId: string): void {
  const r = get().runs[runId];
  if (r?.live) send({ type: 'deleteRun', runId });
  get().removeRun(runId);
}

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
  if (r?.config) download(torchScriptFileName(r.name), torchScript(r.name, r.config), 'text/x-python');
}

/** The RunConfig in a safetensors checkpoint's metadata (key "config" or "runConfig"), if it has one. */
export function readRunConfig(bytes: ArrayBuffer): RunConfig | undefined {
  try {
    if (bytes.byteLength < 8) return undefined;
    const len = Number(new DataView(bytes).getBigUint64(0, true));
    if (len <= 0 || len > bytes.byteLength - 8 || len > 1e7) return undefined;
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 8, len))) as { __metadata__?: Record<string, unknown> } | null;
    const meta = header?.__metadata__ ?? {};
    const raw = meta.runConfig ?? meta.config;
    const cfg = (typeof raw === 'string' ? JSON.parse(raw) : undefined) as Partial<RunConfig> | undefined;
    return cfg && typeof cfg === 'object' && typeof cfg.model?.depth === 'number' ? (cfg as RunConfig) : undefined;
  } catch {
    return undefined;
  }
}
