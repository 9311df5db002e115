// `npm run bench [-- --quick] [--steps N] [--warmup N] [--batch 32,128]`: trains ResNet-20 and plain-20 in
// headless Chromium with WebGPU and prints one JSON line per configuration (images/s, ms/step, peak GPU bytes,
// and a per-kernel breakdown of one step where the adapter has timestamp queries).
import { createServer } from 'vite';
import { chromium } from 'playwright';
import { chromiumArgs, findChromium } from './chromium.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = argv.includes('--quick');
const batches = opt('batch', quick ? '4,8' : '32,128').split(',').map(Number);
const steps = Number(opt('steps', quick ? 2 : 3));
const warmup = Number(opt('warmup', 1));
const depth = Number(opt('depth', 20));
const configs = [];
for (const arch of ['residual', 'plain'])
  for (const batch of batches) configs.push({ model: `${arch === 'residual' ? 'resnet' : 'plain'}${depth}`, config: { arch, depth }, batch });

const server = await createServer({ logLevel: 'error', server: { port: 0, host: '127.0.0.1' }, optimizeDeps: { noDiscovery: true, include: [] } });
await server.listen();
const { port } = server.httpServer.address();
const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs, headless: true });
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const url = `http://127.0.0.1:${port}/bench/engine.html?warmup=${warmup}&steps=${steps}&configs=${encodeURIComponent(JSON.stringify(configs))}`;
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
    for (; printed < state.results.length; printed++) {
      const { kernels, ...line } = state.results[printed];
      console.log(JSON.stringify(line));
      if (kernels) console.log(JSON.stringify({ model: line.model, batch: line.batch, kernelMs: kernels }));
    }
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
