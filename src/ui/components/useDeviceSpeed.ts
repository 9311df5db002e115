// This device's training speed as the page knows it now (lib/duration.ts deviceSpeed): its live runs' images/s, or
// the speed probe's; and, while there is none, why not in words.
import { deviceSpeed, unmeasuredWhy, type DeviceSpeed } from '../lib/duration';
import { useApp } from '../store';

export function useDeviceSpeed(): { speed: DeviceSpeed | undefined; unmeasured: string; probing: boolean } {
  const runs = useApp((s) => s.runs);
  const probe = useApp((s) => s.engine.speedProbe);
  const probeError = useApp((s) => s.engine.speedProbeError);
  const probing = useApp((s) => !!s.engine.speedProbing);
  return { speed: deviceSpeed(Object.values(runs), probe), unmeasured: unmeasuredWhy(probing, probeError), probing };
}
