// Two projects: `unit` runs in Node; `gpu` runs in headless Chromium with WebGPU (SwiftShader on CI).
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { dirname, resolve } from 'node:path';
// @ts-expect-error plain ESM helper without types
import { chromiumArgs, findChromium } from './scripts/chromium.mjs';
// @ts-expect-error plain ESM helper without types
import { isCI } from './scripts/ci.mjs';

const executablePath: string | undefined = findChromium();
// The real CIFAR-10 archive the data tests read: $CIFAR10_TARBALL, else the shared subset next to the repository.
const tarball = resolve(process.env.CIFAR10_TARBALL || '../shared/cifar10/cifar-10-subset-binary.tar.gz');
// Reaches the tests as import.meta.env.* (tests/support/ci.ts, tests/gpu/trainerHarness.ts): a browser test has no
// process.env. The Node tests get only CI (in Node this also sets process.env, which the scripts they start inherit).
const ci = { CI: (isCI as boolean) ? 'true' : '' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          env: ci,
          testTimeout: 60_000,
        },
      },
      {
        // The browser tests read the real CIFAR-10 archive (../shared/cifar10, or $CIFAR10_TARBALL) through /@fs/.
        server: { fs: { allow: ['.', '../shared', dirname(tarball)] } },
        // Vite's scan finds the React app's dependencies late and then reloads the page in the middle of a test
        // run (once it hung a run): bundle them up front so nothing is discovered later.
        optimizeDeps: {
          entries: ['tests/gpu/**/*.test.ts'],
          include: ['react', 'react-dom/client', 'react/jsx-dev-runtime', 'recharts', 'zustand'],
        },
        test: {
          name: 'gpu',
          // RECORD_ENGINE_LOSSES=1: tests/gpu/torchGolden.test.ts records the browser's losses for the Node test.
          env: { ...ci, CIFAR10_TARBALL: tarball, RECORD_ENGINE_LOSSES: process.env.RECORD_ENGINE_LOSSES ?? '' },
          include: ['tests/gpu/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
