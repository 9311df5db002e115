// `node scripts/torch-golden-inputs.mjs DIR`: writes the inputs of the PyTorch golden (initial ResNet-8 state as
// safetensors, the batches as raw little-endian arrays, meta.json) into DIR, from tests/golden/resnet8Inputs.ts
// (loaded through Vite, which compiles the TypeScript). Then: /usr/bin/python3 scripts/torch_golden.py DIR OUT.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'vite';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/torch-golden-inputs.mjs DIR');
  process.exit(2);
}
const server = await createServer({
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false },
  optimizeDeps: { noDiscovery: true, include: [] },
});
try {
  const { goldenInputFiles } = await server.ssrLoadModule('/tests/golden/resnet8Inputs.ts');
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(goldenInputFiles())) {
    writeFileSync(join(dir, name), bytes);
    console.log(`${join(dir, name)}: ${bytes.length} bytes`);
  }
} finally {
  await server.close();
}
