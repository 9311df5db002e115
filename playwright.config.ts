// End-to-end tests of the playground: the PRODUCTION build served by `vite preview`, in headless Chromium
// with WebGPU (SwiftShader on CI, so timeouts are generous and configs tiny), one worker.
// The preview server also serves the CIFAR-10 archive at /data/cifar10.tar.gz: $CIFAR10_TARBALL, else the
// shared subset next to the repository, else data/ (see vite.config.ts). Data-dependent tests skip without it,
// and fail under CI (tests/e2e/helpers.ts).
import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
// @ts-expect-error plain ESM helper without types
import { chromiumArgs, findChromium } from './scripts/chromium.mjs';
// @ts-expect-error plain ESM helper without types
import { isCI } from './scripts/ci.mjs';

// E2E_PORT: another checkout's preview server may hold 4173 (it would be reused, serving that checkout's app).
const PORT = Number(process.env.E2E_PORT ?? 4173);
const sharedSubset = resolve('../shared/cifar10/cifar-10-subset-binary.tar.gz');
const tarball = process.env.CIFAR10_TARBALL ?? (existsSync(sharedSubset) ? sharedSubset : undefined);

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  // 'chromium': Playwright drives Chromium; 'firefox': tests/e2e/firefox drives Firefox itself through puppeteer-core
  // (Playwright's Firefox is a patched build that needs a download), against the same preview server.
  projects: [
    { name: 'chromium', testIgnore: 'firefox/**' },
    { name: 'firefox', testMatch: 'firefox/**/*.spec.ts' },
  ],
  outputDir: 'test-results',
  timeout: 600_000,
  expect: { timeout: 120_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1280, height: 800 },
    headless: true,
    acceptDownloads: true,
    actionTimeout: 60_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: findChromium() as string | undefined, args: chromiumArgs as string[] },
  },
  webServer: {
    command: `npx vite build && npx vite preview --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    // A server left running may serve an old build (or no archive): under CI always build and start a fresh one.
    reuseExistingServer: !isCI,
    timeout: 300_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: tarball ? { CIFAR10_TARBALL: tarball } : {},
  },
});
