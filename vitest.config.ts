// Three projects: `unit` runs in Node; `gpu` runs in headless Chromium with WebGPU (SwiftShader on CI);
// `gpu-firefox` runs the same GPU suite in headless Firefox (wgpu/naga, on Mesa's lavapipe on CI) through the
// preview provider, with Vite's BROWSER hook opening the page (scripts/firefox-vitest.js).
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { preview } from '@vitest/browser-preview';
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

// Vitest's preview provider opens its page through Vite's BROWSER hook: a .js file there is run with the URL.
process.env.BROWSER ??= resolve('scripts/firefox-vitest.js');

/** The in-browser GPU suite, in Chromium through Playwright or in Firefox through the preview provider. */
function gpuProject(name: 'gpu' | 'gpu-firefox') {
  const firefox = name === 'gpu-firefox';
  return {
    // The browser tests read the real CIFAR-10 archive (../shared/cifar10, or $CIFAR10_TARBALL) through /@fs/.
    server: { fs: { allow: ['.', '../shared', dirname(tarball)] } },
    // Vite's scan finds the React app's dependencies late and then reloads the page in the middle of a test
    // run (once it hung a run): bundle them up front so nothing is discovered later.
    optimizeDeps: {
      entries: ['tests/gpu/**/*.test.ts'],
      include: ['react', 'react-dom/client', 'react/jsx-dev-runtime', 'recharts', 'zustand'],
    },
    test: {
      name,
      // RECORD_ENGINE_LOSSES=1: tests/gpu/torchGolden.test.ts records the browser's losses for the Node test.
      env: { ...ci, CIFAR10_TARBALL: tarball, RECORD_ENGINE_LOSSES: firefox ? '' : (process.env.RECORD_ENGINE_LOSSES ?? '') },
      include: ['tests/gpu/**/*.test.ts'],
      testTimeout: 300_000,
      hookTimeout: 300_000,
      fileParallelism: false,
      browser: firefox
        ? {
            enabled: true,
            // The preview provider refuses headless: scripts/firefox-vitest.js starts Firefox headless itself.
            headless: false,
            provider: preview(),
            instances: [{ browser: 'firefox' as const }],
            screenshotFailures: false,
          }
        : {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' as const }],
            screenshotFailures: false,
          },
    },
  };
}

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
      gpuProject('gpu'),
      gpuProject('gpu-firefox'),
    ],
  },
});
