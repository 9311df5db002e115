// ?tuning= of the page's address: 'auto' tunes the kernels for this GPU before a run (also on a CPU adapter),
// 'cpu' or 'gpu' force a fixed profile. Anything else is said once, in an alert, and ignored.
import type { Command, TuningMode } from '../../train/protocol';
import type { Alert } from '../store/types';

export function tuningParam(search: string): { mode?: TuningMode; alert?: Omit<Alert, 'id'> } {
  const v = new URLSearchParams(search).get('tuning');
  if (v === null) return {};
  if (v === 'auto' || v === 'cpu' || v === 'gpu') return { mode: v };
  return {
    alert: {
      code: 'bad-config',
      message: `The address asks for ?tuning=${v}, which is not a tuning mode: the kernels are chosen as usual.`,
      advice: 'Use ?tuning=auto (tune for this GPU), ?tuning=cpu or ?tuning=gpu (a fixed profile), or leave it out.',
    },
  };
}

/** The worker's first command for a page at `search`; a bad ?tuning= value goes to `warn`. */
export function initCommand(search: string, warn: (a: Omit<Alert, 'id'>) => void): Extract<Command, { type: 'init' }> {
  const t = tuningParam(search);
  if (t.alert) warn(t.alert);
  return { type: 'init', tuning: t.mode };
}
