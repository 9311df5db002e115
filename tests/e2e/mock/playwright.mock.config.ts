// The same end-to-end suite against the app with the mock worker (tests/e2e/mock/mockWorker.ts): checks the
// UI alone, fast, without a usable GPU. `npx playwright test -c tests/e2e/mock/playwright.mock.config.ts`.
// Results say nothing about training itself; the real suite is playwright.config.ts.
import { defineConfig } from '@playwright/test';
import base from '../../../playwright.config';

const PORT = 4174;

export default defineConfig({
  ...base,
  testDir: '..',
  outputDir: '../../../test-results/mock',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: 'list',
  use: { ...base.use, baseURL: `http://127.0.0.1:${PORT}` },
  webServer: {
    ...(base.webServer as object),
    command: `npx vite build --config tests/e2e/mock/vite.mock.config.ts && npx vite preview --config tests/e2e/mock/vite.mock.config.ts --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    cwd: '../../..',
  },
});
