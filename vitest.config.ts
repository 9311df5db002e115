// Two projects: `unit` runs in Node; `gpu` runs in headless Chromium with WebGPU (SwiftShader on CI).
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
// @ts-expect-error plain ESM helper without types
import { chromiumArgs, findChromium } from './scripts/chromium.mjs';

const executablePath: string | undefined = findChromium();

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        // The browser tests read the real CIFAR-10 subset next to the repository (../shared/cifar10) through /@fs/.
        server: { fs: { allow: ['.', '../shared'] } },
        // Vite's scan finds the React app's dependencies late and then reloads the page in the middle of a test
        // run (once it hung a run): bundle them up front so nothing is discovered later.
        optimizeDeps: {
          entries: ['tests/gpu/**/*.test.ts'],
          include: ['react', 'react-dom/client', 'react/jsx-dev-runtime', 'recharts', 'zustand'],
        },
        test: {
          name: 'gpu',
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
