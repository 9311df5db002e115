// The Node build of the engine (`npm run build:node`): src/node/engine.ts and everything it imports, WGSL inlined
// through the same `?raw` imports as the app, into ONE ES module, dist-node/engine.mjs, that imports only
// 'webgpu' (Dawn for Node) and node: built-ins, so it can be copied next to a node_modules with 'webgpu' and run.
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: 'src/node/engine.ts',
    outDir: 'dist-node',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    rolldownOptions: {
      external: ['webgpu', /^node:/],
      output: { format: 'es', entryFileNames: 'engine.mjs', codeSplitting: false },
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
