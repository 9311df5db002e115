// Finds a Chromium that can run WebGPU tests and the flags that turn WebGPU on.
// Order: $CHROMIUM_PATH, Debian's /usr/bin/chromium, Google Chrome, Playwright's own Chromium.
import { existsSync } from 'node:fs';

export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const candidates = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
];

/** Path of a Chromium executable, or undefined to let Playwright use its own download. */
export function findChromium() {
  return candidates.find((p) => p && existsSync(p));
}
