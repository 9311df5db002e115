// Finds Firefox and the prefs that turn WebGPU on in it on Linux, and launches it headless through puppeteer-core
// (WebDriver BiDi, no download). Without 'gfx.webgpu.ignore-blocklist' Firefox 153 on Linux returns no adapter.
import { existsSync } from 'node:fs';

export const firefoxPrefs = {
  'dom.webgpu.enabled': true,
  'gfx.webgpu.ignore-blocklist': true,
  // Vitest and the app run workers and long GPU jobs: no slow-script dialogs, no first-run pages.
  'dom.max_script_run_time': 0,
  'dom.max_chrome_script_run_time': 0,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
};

const candidates = [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox'];

/** Path of a Firefox executable, or undefined. */
export function findFirefox() {
  return candidates.find((p) => p && existsSync(p));
}

/** Headless Firefox with WebGPU on, as a puppeteer-core Browser. */
export async function launchFirefox() {
  const executablePath = findFirefox();
  if (!executablePath) throw new Error('No Firefox found: install firefox-esr (Debian) or set FIREFOX_PATH.');
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({ browser: 'firefox', executablePath, headless: true, extraPrefsFirefox: firefoxPrefs });
}
