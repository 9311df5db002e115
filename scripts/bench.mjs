// `npm run bench [-- --quick] [--steps N] [--warmup N] [--batch 32,128] [--depth 20] [--browser firefox]`: trains
// ResNet-20 and plain-20 in a headless browser with WebGPU and prints one JSON line per configuration (images/s,
// ms/step, peak GPU bytes, and a per-kernel breakdown of one step where the adapter has timestamp queries).
// `npm run bench:autotune [-- --quick] [--layers] [--browser firefox]` (this script with --autotune): per network and
// batch (default ResNet-20 at batch 32; batch 8 with --quick), both fixed profiles and the autotuner's per-layer
// choices measured side by side in one page (src/train/autotuneBench.ts). Chromium by default (SwiftShader here); Firefox
// through puppeteer-core (scripts/firefox.mjs: wgpu on Mesa's lavapipe here).
import { createServer } from 'vite';
import { chromiumArgs, findChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';

// The options go to the page as query parameters; the configurations come from src/train/benchmark.ts benchPlan.
const argv = process.argv.slice(2);
const params = new URLSearchParams();
const value = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
for (const name of ['steps', 'warmup', 'batch', 'depth', 'models']) if (value(name) !== undefined) params.set(name, value(name));
for (const name of ['quick', 'autotune', 'layers']) if (argv.includes(`--${name}`)) params.set(name, '1');
const browserName = value('browser') ?? 'chromium';
if (!['chromium', 'firefox'].includes(browserName)) throw new Error(`--browser is chromium or firefox, not ${browserName}`);

const server = await createServer({
  logLevel: 'error',
  server: { port: 0, host: '127.0.0.1' },
  optimizeDeps: { noDiscovery: true, include: [] },
});
await server.listen();
const { port } = server.httpServer.address();
const browser =
  browserName === 'firefox'
    ? await launchFirefox()
    : await (await import('playwright')).chromium.launch({ executablePath: findChromium(), args: chromiumArgs, headless: true });
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const url = `http://127.0.0.1:${port}/bench/engine.html?${params}`;
  await page.goto(url);
  let printed = 0;
  for (;;) {
    // Vite may reload the page once after optimising dependencies on first load; the run then restarts.
    const state = await page.evaluate(() => window.__bench).catch(() => undefined);
    if (!state) {
      printed = 0;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    for (; printed < state.lines.length; printed++) console.log(state.lines[printed]);
    if (state.done) {
      if (state.error) throw new Error(state.error);
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
} finally {
  await browser.close();
  await server.close();
}
