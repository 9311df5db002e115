// `node scripts/torch-golden-inputs.mjs [--variants] DIR`: writes the inputs of the PyTorch golden (initial ResNet-8
// state as safetensors, the batches as raw little-endian arrays, meta.json) into DIR, from tests/golden/resnet8Inputs.ts
// (loaded through Vite, which compiles the TypeScript); with --variants, one folder per network of GOLDEN_VARIANTS.
// Then: /usr/bin/python3 scripts/torch_golden.py [--variants] DIR OUT.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'vite';

const variants = process.argv[2] === '--variants';
const dir = process.argv[variants ? 3 : 2];
if (!dir) {
  console.error('usage: node scripts/torch-golden-inputs.mjs [--variants] DIR');
  process.exit(2);
}
const server = await createServer({
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false },
  optimizeDeps: { noDiscovery: true, include: [] },
});
try {
  const { goldenInputFiles, variantInputFiles } = await server.ssrLoadModule('/tests/golden/resnet8Inputs.ts');
  for (const [name, bytes] of Object.entries(variants ? variantInputFiles() : goldenInputFiles())) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
    console.log(`${join(dir, name)}: ${bytes.length} bytes`);
  }
} finally {
  await server.close();
}
