// The comparison's peers for Node on Dawn (bench/peersNode.ts -> dist-node/peers.mjs): TF.js WebGPU and jax-js
// bundled with our initialiser into one ES module importing only 'webgpu' and node: built-ins (the GPU kit's part c).
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: 'bench/peersNode.ts',
    outDir: 'dist-node',
    emptyOutDir: false,
    target: 'node20',
    minify: true,
    sourcemap: false,
    rolldownOptions: {
      external: ['webgpu', /^node:/],
      output: { format: 'es', entryFileNames: 'peers.mjs', codeSplitting: false },
    },
  },
  ssr: {
    noExternal: true,
    external: ['webgpu'],
    resolve: { conditions: ['browser', 'module', 'import', 'default'], externalConditions: [] },
  },
});
