// What the user can ask for, turned into protocol commands; and the side effects of worker events that
// do not belong in the store (downloads, stored checkpoints). The only module that holds the client.
import type { Command, DataSource, RunConfig, RunState, WorkerEvent } from '../train/protocol';
import { toRunConfig, fromRunConfig, type FormConfig } from './lib/formConfig';
import { download } from './lib/exportRun';
import { checkRunName, nameRun } from './lib/runNaming';
import { bareModel, readRunConfig } from './lib/readRunConfig';
import { initCommand } from './lib/tuningParam';
import { SaveRequests, type SaveWhy } from './lib/saveRequests';
import { deleteCheckpoints, loadCheckpoint } from './lib/persist';
import { AutoSaver, checkpointStep, forgetCheckpoints, keepCheckpoint, rewound } from './checkpointStore';
import { useWorkerStorage } from './store/storage';
import { createTrainerClient, type TrainerClient } from './trainerClient';
import { FIRST_VISIT, useApp } from './store';
import { GroupResumes, resumeTogether } from './lib/groupResume';
import type { RunView } from './store/types';
import { applyLabEvents, markBusy, useLab, type LabKind } from './store/lab';

let client: TrainerClient | undefined;
/** The checkpoints asked for and not yet answered, matched by request id (lib/saveRequests.ts). */
const saves = new SaveRequests();
/** When each training run was last checkpointed (auto-checkpoints every N steps or seconds). */
const autosaver = new AutoSaver();
/** The last state the worker reported of each run: a checkpoint is kept when a run enters paused, stopped or done. */
const lastState = new Map<string, RunState>();
/** Runs being loaded from their kept checkpoint that start training once loaded ("Resume"). */
const resumeAfterLoad = new Set<string>();
/** Compare pairs being loaded from their checkpoints that resume together, in step ("Resume pair"). */
const groupResumes = new GroupResumes();
let runCounter = 0;

const newRunId = () => `r${Date.now().toString(36)}${(++runCounter).toString(36)}`;
const send = (cmd: Command) => client?.send(cmd);

/** Listeners outside the main store (the story panels: memory plans, the depth sweep) see every worker event. */
export const eventListeners = new Set<(e: WorkerEvent) => void>();
/** Sends a command as is (the story panels build their own). */
export const sendCommand = (cmd: Command) => send(cmd);
const get = useApp.getState;

function onEvents(events: WorkerEvent[]): void {
  const before = get().runs;
  get().applyEvents(events);
  for (const e of events) for (const l of eventListeners) l(e);
  applyLabEvents(events);
  for (const e of events) {
    if (e.type === 'error' && e.runId && before[e.runId] && !get().runs[e.runId]) {
      // A failed checkpoint load (the store dropped its run): the worker frees whatever it had built of it.
      send({ type: 'deleteRun', runId: e.runId });
    } else if (e.type === 'ready') {
      // Quietly try the dataset cached by an earlier visit.
      if (get().data.status !== 'ready') loadData({ kind: 'cache' }, 'browser cache', true);
    } else if (e.type === 'checkpoint') {
      const why = saves.answer(e.requestId);
      if (!why) continue; // not asked for by this page (a request dropped with its run)
      if (why === 'download') download(e.fileName, e.bytes, 'application/octet-stream');
      void keepCheckpoint(e.runId, e.fileName, e.bytes);
    } else if (e.type === 'error') {
      if (e.requestId !== undefined) saves.answer(e.requestId);
      // A run rebuilt on a new device (a new Run under the same id) answers nothing the old one was asked;
      // a device lost for good answers nothing at all.
      if (e.code === 'device-lost') saves.drop(e.runId);
    } else if (e.type === 'storage') {
      useWorkerStorage.setState({ datasetBytes: e.datasetBytes });
    } else if (e.type === 'runState') {
      const entered = lastState.get(e.runId) !== e.state;
      lastState.set(e.runId, e.state);
      if (groupResumes.has(e.runId)) groupResumes.onState(e.runId, e.state, e.step).forEach(send);
      if (resumeAfterLoad.has(e.runId) && e.state !== 'building' && e.state !== 'ready') {
        resumeAfterLoad.delete(e.runId);
        if (e.state === 'paused') send({ type: 'resume', runId: e.runId });
        continue;
      }
      // Keep the weights of a run that pauses, stops or finishes, so it can be resumed, continued or evaluated after a reload.
      const r = get().runs[e.runId];
      if (entered && (e.state === 'done' || e.state === 'stopped' || e.state === 'paused') && r?.live && r.checkpointStep !== e.step) {
        requestSave(e.runId, 'keep');
        autosaver.asked(e.runId, e.step, Date.now());
      }
    }
  }
  autosave();
}

/** Asks for a checkpoint of every training run that is due one (AutoSaver), unless one is on its way. */
function autosave(): void {
  const now = Date.now();
  const { runs, order } = get();
  for (const id of order) {
    const r = runs[id];
    if (!r.live || r.state !== 'training' || saves.waiting(id, 'keep')) continue;
    if (autosaver.due(id, r.step, now)) {
      // A compare pair is checkpointed together, so after a reload its twins come back from (nearly) one step.
      const mates = r.groupId ? order.filter((m) => runs[m].groupId === r.groupId) : [id];
      for (const m of mates) {
        const mr = runs[m];
        if (m !== id && (!mr.live || mr.state !== 'training' || saves.waiting(m, 'keep'))) continue;
        requestSave(m, 'keep');
        autosaver.asked(m, mr.step, now);
      }
    }
  }
}

export function startEngine(): void {
  if (client) return;
  client = createTrainerClient(onEvents, initCommand(location.search, get().pushAlert)); // ?tuning=auto|cpu|gpu
  // A first visit learns this device's speed at once, so durations are said before any run. A link with settings
  // (a returning user, a shared experiment) skips the few seconds of GPU work; "Measure speed" runs it on demand.
  if (FIRST_VISIT) measureSpeed();
}

/** A few seconds of training steps on this device (src/train/speedProbe.ts); the store keeps the result (engine.speedProbe). */
export function measureSpeed(): void {
  useApp.setState((s) => ({ engine: { ...s.engine, speedProbing: true, speedProbeError: undefined } }));
  send({ type: 'measureSpeed' });
}

/** After a lost device: a fresh worker. Runs of the old one stay on screen, no longer live. */
export function restartEngine(): void {
  const s = get();
  for (const id of s.order) {
    const r = s.runs[id];
    // A run cut off while training or paused can be resumed from its last checkpoint, as after a reload.
    const interrupted = r.hasCheckpoint && (r.state === 'training' || r.state === 'paused') ? true : undefined;
    // A run cut off while still training or evaluating did not finish: it shows as stopped.
    const cut = r.state === 'training' || r.state === 'evaluating';
    if (r.live) s.patchRun(id, { live: false, trainingSince: undefined, state: cut ? 'stopped' : r.state, interrupted });
  }
  // The speed measured stays: the same machine, most likely the same adapter.
  useApp.setState((st) => ({ engine: { status: 'starting', speedProbe: st.engine.speedProbe }, data: { status: 'none', quiet: false } }));
  saves.drop();
  resumeAfterLoad.clear();
  lastState.clear();
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
  return trainForm(get().form, start);
}

/** A new run from `form` (the story panels' experiments), selected; started at once unless `start` is false. */
/** A run from an explicit config and create command (the story panels: fine-tuning and its from-scratch twin). */
export function startConfigured(
  form: FormConfig,
  config: RunConfig,
  name: string,
  make: (runId: string, name: string) => Command | undefined,
): { id: string; name: string } {
  const id = newRunId();
  const taken = new Set(existing().map((r) => r.name));
  let unique = name;
  for (let i = 2; taken.has(unique); i++) unique = `${name} #${i}`;
  addRun(id, unique, form, { config });
  get().select(id);
  const cmd = make(id, unique);
  if (cmd) send(cmd); // undefined: another command creates it (a fine-tune run's twin on the user's images)
  return { id, name: unique };
}

export function trainForm(form: FormConfig, start = true): string {
  const id = newRunId();
  const name = nameRun(form, existing());
  addRun(id, name, form);
  get().select(id);
  send({ type: 'createRun', runId: id, name, config: toRunConfig(form), start });
  return id;
}

/** A run here that is one twin of a pair: `f`'s exact settings (so seed and batches), in no pair, training or trained. */
const twinHere = (f: FormConfig) =>
  [...get().order]
    .reverse()
    .map((id) => get().runs[id])
    .find((r) => !r.groupId && JSON.stringify(r.form) === JSON.stringify(f) && r.metrics.length > 0 && (r.live || r.state === 'done'));

/**
 * Twin runs of the form's depth, residual and plain, same seed and batches, trained interleaved. A twin already
 * trained with these settings is paired as it is (no identical "resnet-8 #2" beside it); only the missing one trains.
 */
export function comparePlainVsResidual(): void {
  const form = get().form;
  const groupId = `g${newRunId()}`;
  const twins = (['residual', 'plain'] as const).map((arch) => ({ form: { ...form, arch }, here: twinHere({ ...form, arch }) }));
  const fresh = twins
    .filter((t) => !t.here)
    .map((t) => {
      const runId = newRunId();
      const name = nameRun(t.form, existing());
      addRun(runId, name, t.form, { groupId });
      return { runId, name, config: toRunConfig(t.form) };
    });
  for (const t of twins) if (t.here) get().patchRun(t.here.id, { groupId });
  get().select(twins[0].here?.id ?? fresh[0].runId);
  if (fresh.length === 2) send({ type: 'createGroup', runs: fresh, start: true });
  else if (fresh.length === 1) send({ type: 'createRun', ...fresh[0], start: true });
}

/** Pauses runs (a compare pair's live members) in the same instant, at the same step. */
export const pause = (runIds: readonly string[]) =>
  runIds.length > 0 && send({ type: 'pause', runId: runIds[0], with: runIds.length > 1 ? runIds.slice(1) : undefined });
/** Resumes runs (a compare pair's live members) in the same instant, so they stay at the same step. */
export const resume = (runIds: readonly string[]) => runIds.length > 0 && send(resumeTogether(runIds));
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

/** The analysis lab's measurements (components/lab): `images` test images; re-estimation from `batches` training batches. */
export function labMeasure(
  kind: LabKind,
  runId: string,
  o: { images: number; batches?: number; layer?: string; bins?: number; mode?: '1d' | '2d'; size?: number; index?: number },
): void {
  markBusy(kind, runId);
  if (kind === 'saliency') send({ type: 'labSaliency', runId, index: o.index ?? 0 });
  else if (kind === 'landscape') send({ type: 'labLandscape', runId, mode: o.mode ?? '1d', size: o.size ?? 21, batches: o.batches ?? 2 });
  else if (kind === 'profile') send({ type: 'labProfile', runId });
  else if (kind === 'histogram') send({ type: 'labHistogram', runId, layer: o.layer ?? '', bins: o.bins ?? 40, images: o.images });
  else if (kind === 'responses') send({ type: 'labResponses', runId, images: o.images });
  else if (kind === 'lesion') send({ type: 'labLesion', runId, images: o.images });
  else send({ type: 'labReestimateBn', runId, batches: o.batches ?? 20, images: o.images });
}

/** The run list's way into the lab: selects the run, opens the Kernel profile tab and brings the lab into view. */
export function openKernelProfile(runId: string): void {
  get().select(runId);
  useLab.setState({ tab: 'profile' });
  requestAnimationFrame(() => document.querySelector('.lab-panel')?.scrollIntoView({ block: 'start' }));
}

export function labCancel(runId: string): void {
  send({ type: 'labCancel', runId });
}

function requestSave(runId: string, why: SaveWhy): void {
  send({ type: 'save', runId, requestId: saves.ask(runId, why) });
}

/** Downloads the run's weights: from the worker when the run is live, else the copy kept in the browser. */
export async function saveWeights(runId: string): Promise<void> {
  const r = get().runs[runId];
  if (r?.live) return requestSave(runId, 'download');
  const kept = await loadCheckpoint(runId).catch(() => undefined);
  if (kept) download(kept.fileName, kept.bytes, 'application/octet-stream');
  else
    get().pushAlert({
      code: 'bad-checkpoint',
      message: `No weights are kept for "${r?.name ?? runId}".`,
      advice: 'Weights are kept when a run finishes or is stopped, or when you save them.',
    });
}

/**
 * A checkpoint file becomes a new paused run; if the worker cannot load it, the run is dropped again (pendingLoad).
 * A bare state dict (torchvision's weights, no run settings in it) trains with the form's settings; its network
 * is what its tensors say (the worker reads them again and refuses a file that does not fit, naming the tensor).
 */
export async function loadCheckpointFile(file: File): Promise<void> {
  const bytes = await file.arrayBuffer();
  const id = newRunId();
  const meta = readRunConfig(bytes);
  const bare = meta ? undefined : { ...toRunConfig(get().form), classes: undefined, fineTune: undefined };
  const model = bare && bareModel(bytes);
  const config = meta ?? (model && { ...bare, model });
  const form = config ? fromRunConfig(config) : undefined;
  const name = meta && form ? nameRun(form, existing()) : file.name.replace(/\.safetensors$/i, '');
  addRun(id, name, form, { pendingLoad: true, ...(config ? { config } : {}) });
  get().select(id);
  send({ type: 'load', runId: id, name, bytes, ...(bare ? { bare } : {}) });
}

/**
 * Continues a run restored from storage from the checkpoint kept for it (a new live run, same name), paused; with
 * `train`, it trains on once loaded ("Resume" after a reload). Its points after the checkpoint's step go: those
 * steps are trained again, with the same batches, so they come back the same.
 */
export async function continueRun(runId: string, train = false): Promise<boolean> {
  const r = get().runs[runId];
  const kept = await loadCheckpoint(runId).catch(() => undefined);
  if (!r) return false;
  if (!kept) {
    // Deleted (Data > Storage, another tab) or unreadable since the list was drawn: say so, keep the curves.
    get().patchRun(runId, { hasCheckpoint: false, checkpointStep: undefined, interrupted: undefined });
    get().pushAlert({
      code: 'bad-checkpoint',
      message: `No checkpoint of "${r.name}" is kept in this browser any more, so it cannot ${train ? 'resume' : 'continue'}.`,
      advice: 'Its curves stay. Load a weights file you downloaded (Load checkpoint), or train it again.',
      runId,
      runName: r.name,
    });
    return false;
  }
  const step = checkpointStep(kept.bytes);
  get().patchRun(runId, {
    ...rewound(r, step),
    live: true,
    state: 'building',
    error: undefined,
    interrupted: undefined,
    checkpointStep: step,
  });
  if (train) resumeAfterLoad.add(runId);
  send({ type: 'load', runId, name: r.name, bytes: kept.bytes });
  return true;
}

/**
 * "Resume" on a member of a compare pair after a reload: every interrupted member comes back from its checkpoint,
 * the ones behind take their missing steps alone, and all go on together from the same step (lib/groupResume.ts).
 */
export async function resumeGroup(ids: string[]): Promise<void> {
  groupResumes.start(ids);
  const loaded = await Promise.all(ids.map((id) => continueRun(id)));
  ids.forEach((id, i) => !loaded[i] && groupResumes.leave(id).forEach(send));
}

/** Asks the worker how much it keeps in the browser (the answer lands in useWorkerStorage). */
export const requestStorageInfo = () => send({ type: 'storageInfo' });

/** Drops the cached dataset (the loaded copy stays in use; the next visit loads the file again). */
export const clearDatasetCache = () => send({ type: 'clearDatasetCache' });

/** Deletes every kept checkpoint: the runs stay as curves, but can no longer be resumed or continued. */
export async function deleteAllCheckpoints(): Promise<void> {
  forgetCheckpoints();
  await deleteCheckpoints();
  for (const id of get().order) get().patchRun(id, { hasCheckpoint: false, checkpointStep: undefined, interrupted: undefined });
}

/** Renames a run (a problem with the name is returned, not applied); the worker's copy follows, for its checkpoints. */
export function renameRun(runId: string, wanted: string): string | undefined {
  const r = get().runs[runId];
  if (!r) return undefined;
  const checked = checkRunName(wanted, r.id, Object.values(get().runs));
  if ('problem' in checked) return checked.problem;
  if (checked.name === r.name) return undefined;
  get().patchRun(runId, { name: checked.name });
  if (r.live) send({ type: 'rename', runId, name: checked.name });
  return undefined;
}

export function deleteRun(runId: string): void {
  const r = get().runs[runId];
  if (r?.live) send({ type: 'deleteRun', runId });
  saves.drop(runId);
  forgetCheckpoints(runId);
  get().removeRun(runId);
}
