// The analysis lab's results per run, as the worker reported them (lab* events), and which measurements are in
// flight. A store of its own: the lab is one concern, and its events do not touch the runs' curves.
import { create } from 'zustand';
import type { WorkerEvent } from '../../train/protocol';
import { appendDrift, driftPoint, type DriftPoint } from '../lib/bnDrift';

export type LabResponses = Extract<WorkerEvent, { type: 'labResponses' }>;
export type LabLesionResult = Extract<WorkerEvent, { type: 'labLesion' }>;
export type LabBnResult = Extract<WorkerEvent, { type: 'labBn' }>;
export type LabHistograms = Extract<WorkerEvent, { type: 'labHistogram' }>;
export type LabProfile = Extract<WorkerEvent, { type: 'labProfile' }>;
export type LabLandscape = Extract<WorkerEvent, { type: 'labLandscape' }>;
export type LabSaliency = Extract<WorkerEvent, { type: 'labSaliency' }>;
export type LabKind = 'responses' | 'lesion' | 'bn' | 'histogram' | 'profile' | 'landscape' | 'saliency';

export interface LabState {
  responses: Record<string, LabResponses>;
  lesion: Record<string, LabLesionResult>;
  bn: Record<string, LabBnResult>;
  histogram: Record<string, LabHistograms>;
  /** Per run: the BN drift of every histogram measurement with channel statistics, in order (lib/bnDrift.ts). */
  drift: Record<string, DriftPoint[]>;
  profile: Record<string, LabProfile>;
  /** Per run and mode ('1d' | '2d'). */
  landscape: Record<string, Partial<Record<'1d' | '2d', LabLandscape>>>;
  saliency: Record<string, LabSaliency>;
  /** How far a long job in flight has got (the landscape's points, the lesion study's passes), by busyKey. */
  progress: Record<string, { done: number; total: number }>;
  /** `${kind}:${runId}` of the measurements asked for and not answered yet. */
  /** Measurements in flight, by busyKey (absent: not in flight). */
  busy: Partial<Record<string, true>>;
  /** The open instrument. */
  tab: 'responses' | 'lesion' | 'bn' | 'landscape' | 'saliency' | 'gradients' | 'profile';
}

export const useLab = create<LabState>()(() => ({
  responses: {},
  lesion: {},
  bn: {},
  histogram: {},
  drift: {},
  profile: {},
  landscape: {},
  saliency: {},
  progress: {},
  busy: {},
  tab: 'responses',
}));

export const busyKey = (kind: LabKind, runId: string) => `${kind}:${runId}`;

export function markBusy(kind: LabKind, runId: string): void {
  useLab.setState((s) => ({ busy: { ...s.busy, [busyKey(kind, runId)]: true } }));
}

const without = <V>(m: Record<string, V>, key: string): Record<string, V> => {
  const { [key]: _, ...rest } = m;
  return rest;
};

const done = (busy: Partial<Record<string, true>>, kinds: LabKind[], runId: string) => {
  const gone = new Set(kinds.map((k) => busyKey(k, runId)));
  return Object.fromEntries(Object.entries(busy).filter(([key]) => !gone.has(key)));
};

/** The lab's part of a batch of worker events: results in, and a failed run's measurements no longer in flight. */
export function reduceLabEvents(s: LabState, events: readonly WorkerEvent[]): Partial<LabState> {
  let { responses, lesion, bn, histogram, drift, profile, landscape, saliency, progress, busy } = s;
  for (const e of events) {
    switch (e.type) {
      case 'labResponses':
        responses = { ...responses, [e.runId]: e };
        busy = done(busy, ['responses'], e.runId);
        break;
      case 'labLesion':
        lesion = { ...lesion, [e.runId]: e };
        progress = without(progress, busyKey('lesion', e.runId));
        busy = done(busy, ['lesion'], e.runId);
        break;
      case 'labBn':
        bn = { ...bn, [e.runId]: e };
        busy = done(busy, ['bn'], e.runId);
        break;
      case 'labHistogram':
        histogram = { ...histogram, [e.runId]: e };
        if (e.channels) drift = { ...drift, [e.runId]: appendDrift(drift[e.runId] ?? [], driftPoint(e.step, e.layer, e.channels)) };
        busy = done(busy, ['histogram'], e.runId);
        break;
      case 'labProfile':
        profile = { ...profile, [e.runId]: e };
        busy = done(busy, ['profile'], e.runId);
        break;
      case 'labProgress':
        progress = { ...progress, [busyKey(e.kind, e.runId)]: { done: e.done, total: e.total } };
        break;
      case 'labLandscape': {
        landscape = { ...landscape, [e.runId]: { ...landscape[e.runId], [e.mode]: e } };
        progress = without(progress, busyKey('landscape', e.runId));
        busy = done(busy, ['landscape'], e.runId);
        break;
      }
      case 'labSaliency':
        saliency = { ...saliency, [e.runId]: e };
        busy = done(busy, ['saliency'], e.runId);
        break;
      case 'error':
        if (e.runId) {
          busy = done(busy, ['responses', 'lesion', 'bn', 'histogram', 'profile', 'landscape', 'saliency'], e.runId);
          progress = without(without(progress, busyKey('lesion', e.runId)), busyKey('landscape', e.runId));
        } else if (e.code === 'device-lost') {
          busy = {};
          progress = {};
        }
        break;
      default:
        break;
    }
  }
  return { responses, lesion, bn, histogram, drift, profile, landscape, saliency, progress, busy };
}

export const applyLabEvents = (events: readonly WorkerEvent[]) => useLab.setState((s) => reduceLabEvents(s, events));
