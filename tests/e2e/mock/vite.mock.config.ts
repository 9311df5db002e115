// The app with tests/e2e/mock/mockWorker.ts in place of the training worker: for looking at the UI on
// machines without a (fast) GPU. `npx vite build --config tests/e2e/mock/vite.mock.config.ts` -> node_modules/.cache/mock-dist/.
import { defineConfig, mergeConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import base from '../../../vite.config';

const mock = fileURLToPath(new URL('./mockWorker.ts', import.meta.url));

const mockWorker = (): Plugin => ({
  name: 'mock-trainer-worker',
  enforce: 'pre',
  resolveId(id) {
    const m = /(?:^|\/)src\/train\/worker\.ts(\?.*)?$|^\.\.\/train\/worker\.ts(\?.*)?$/.exec(id);
    return m ? mock + (m[1] ?? m[2] ?? '') : undefined;
  },
});

export default mergeConfig(
  base,
  defineConfig({
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    plugins: [mockWorker()],
    worker: { plugins: () => [mockWorker()] },
    build: { outDir: 'node_modules/.cache/mock-dist', emptyOutDir: true },
  }),
);
