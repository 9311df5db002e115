// Memory plans asked of the worker ('planMemory'), kept by the config they were asked for, so the meter shows
// the figures of the config on screen and asks again only when it changes.
import { create } from 'zustand';
import type { RunConfig, WorkerEvent } from '../../../train/protocol';
import { eventListeners, sendCommand } from '../../actions';

export type MemoryPlan = Extract<WorkerEvent, { type: 'memoryPlan' }>;

interface PlansState {
  plans: Record<string, MemoryPlan | { error: string }>;
}
export const usePlans = create<PlansState>()(() => ({ plans: {} }));

/** The key of a config's plan: what changes the planned memory. */
export const planKey = (c: RunConfig) => JSON.stringify([c.model, c.batchSize, c.recompute ?? 0, c.imageSize ?? 32]);

const asked = new Set<string>();
eventListeners.add((e) => {
  if (e.type === 'memoryPlan' && asked.has(e.requestId)) usePlans.setState((s) => ({ plans: { ...s.plans, [e.requestId]: e } }));
});

/** Asks the worker for `config`'s plan once (the answer lands in usePlans under planKey(config)). */
export function requestPlan(config: RunConfig): void {
  const key = planKey(config);
  if (asked.has(key)) return;
  asked.add(key);
  sendCommand({ type: 'planMemory', requestId: key, config });
}
