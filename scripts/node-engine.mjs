// `npm run train` / `npm run bench:node`: the Node build of the engine (dist-node/engine.mjs, see vite.node.config.ts),
// built first when any source is newer than it, then run with this command line: `node scripts/node-engine.mjs
// train|bench [options]`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist-node/engine.mjs');
const inputs = ['src', 'shaders', 'vite.node.config.ts', 'package.json'];

/** The newest modification time under `path` (a file or a folder, walked). */
function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), st.mtimeMs);
}

const built = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
if (inputs.some((p) => newest(join(root, p)) > built)) {
  process.stderr.write('building dist-node/engine.mjs ...\n');
  const { build } = await import('vite');
  await build({ root, configFile: join(root, 'vite.node.config.ts'), logLevel: 'warn' });
}
const { main } = await import(pathToFileURL(bundle).href);
process.exit(await main(process.argv.slice(2)));
