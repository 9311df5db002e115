// The alert list as both the store's pushAlert and the worker-event reducer (events.ts) grow it: one id
// counter for both, so ids never repeat. Its own module so that neither of those imports the other.
import type { Alert } from './types';

let lastId = 0;

/** The list with `a` appended under a fresh id; only the newest five are kept, so old alerts cannot pile up. */
export const withAlert = (alerts: Alert[], a: Omit<Alert, 'id'>): Alert[] => [...alerts.slice(-4), { ...a, id: ++lastId }];
