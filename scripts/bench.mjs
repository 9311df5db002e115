// `npm run bench [-- --quick] [--steps N] [--warmup N] [--batch 32,128] [--depth 20]`: trains ResNet-20 and plain-20 in
// headless Chromium with WebGPU and prints one JSON line per configuration (images/s, ms/step, peak GPU bytes,
// and a per-kernel breakdown of one step where the adapter has timestamp queries).
import { createServer } from 'vite';
import { chromium } from 'playwright';
import { chromiumArgs, findChromium } from './chromium.mjs';

// The options go to the page as query parameters; the configurations come from src/train/benchmark.ts benchPlan.
const argv = process.argv.slice(2);
const params = new URLSearchParams();
for (const name of ['steps', 'warmup', 'batch', 'depth']) {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) params.set(name, argv[i + 1]);
}
if (argv.includes('--quick')) params.set('quick', '1');

const server = await createServer({
  logLevel: 'error',
  server: { port: 0, host: '127.0.0.1' },
  optimizeDeps: { noDiscovery: true, include: [] },
});
await server.listen();
const { port } = server.httpServer.address();
const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs, headless: true });
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
      await page.waitForLoadState('load');
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
