// A plain-vs-residual pair sized to this device (issue 22): the Learn tour's twins (ResNet-20 and plain-20 at width
// 8, batch 32) trained for as many steps as fit in FIT_SECONDS here, at the speed this device measured.
import { runMacs, type DeviceSpeed } from './duration';
import { LEARN_TWINS, type FormConfig } from './formConfig';

/** What "a few minutes" means: the pair's time on this device. */
export const FIT_SECONDS = 180;
/** The lengths offered, most first; fewer than 100 steps is not a comparison (the readout needs the noise of many). */
const LENGTHS = [2000, 1500, 1000, 800, 600, 500, 400, 300, 200, 150, 100];

export interface DeviceFit {
  form: FormConfig;
  /** Both twins' time here, at the measured speed. */
  seconds: number;
}

/** The twins at the longest of LENGTHS whose pair fits in `seconds` here (100 steps when none does): evaluated 6 times. */
export function fitTwins(speed: DeviceSpeed, seconds = FIT_SECONDS): DeviceFit {
  const at = (steps: number): DeviceFit => {
    const form: FormConfig = { ...LEARN_TWINS, length: steps, evalEvery: steps / 5 };
    // The pair: the plain twin has no shortcuts, but its convolutions are the same (option A adds no multiply-adds).
    return { form, seconds: (2 * runMacs(form)) / speed.macsPerSec };
  };
  for (const steps of LENGTHS) {
    const fit = at(steps);
    if (fit.seconds <= seconds) return fit;
  }
  return at(LENGTHS.at(-1)!);
}
