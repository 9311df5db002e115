// Vite's BROWSER hook for Vitest's preview provider (the `gpu-firefox` project in vitest.config.ts): Vite runs this
// script with the test page's URL as its last argument; it opens the page in headless Firefox and keeps it open
// until Vitest, its parent, exits. The page reports to Vitest itself, over its own connection.
import { clearInterval, setInterval } from 'node:timers';
import { launchFirefox } from './firefox.mjs';

const url = process.argv.at(-1);
const parent = process.ppid;
const browser = await launchFirefox();
const page = await browser.newPage();
page.on('console', (m) => {
  if (m.type() === 'error') console.error(`[firefox] ${m.text()}`);
});
await page.goto(url);
const alive = () => {
  try {
    process.kill(parent, 0);
    return process.ppid === parent;
  } catch {
    return false;
  }
};
const timer = setInterval(async () => {
  if (alive()) return;
  clearInterval(timer);
  await browser.close().catch(() => {});
  process.exit(0);
}, 1000);
