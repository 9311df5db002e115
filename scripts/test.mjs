// `npm test`: typecheck, Node unit tests, in-browser GPU tests, then the Playwright end-to-end suite, and its
// timing-sensitive specs once more under a CPU burner (E2E_LOAD=1); then the GPU suite and the end-to-end smoke in
// Firefox (a second WebGPU implementation: wgpu/naga), where Firefox is installed (under CI it must be).
// Finds a Chromium first and says what to install when there is none.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findChromium } from './chromium.mjs';
import { isCI } from './ci.mjs';
import { findFirefox } from './firefox.mjs';

function browserOrExplain() {
  const found = findChromium();
  if (found) return found;
  // Playwright's own Chromium, if `npx playwright install chromium` was run (needs the network).
  try {
    const r = spawnSync(process.execPath, ['-e', "import('playwright').then(m=>console.log(m.chromium.executablePath()))"], {
      encoding: 'utf8',
    });
    const p = r.stdout.trim();
    if (p && existsSync(p)) return p;
  } catch {
    /* fall through to the message */
  }
  if (!isCI) {
    console.log('No Chromium found; trying `npx playwright install chromium` ...');
    const r = spawnSync('npx', ['playwright', 'install', 'chromium'], { stdio: 'inherit' });
    if (r.status === 0) return browserOrExplain();
  }
  console.error(
    '\nThe GPU and end-to-end tests need Chromium with WebGPU and none was found.\n' +
      'Install one of:\n' +
      '  Debian/Ubuntu:  sudo apt-get install -y chromium      (then /usr/bin/chromium is used)\n' +
      '  Google Chrome:  https://www.google.com/chrome/        (/usr/bin/google-chrome)\n' +
      '  Playwright:     npx playwright install chromium       (needs internet)\n' +
      'or point CHROMIUM_PATH at a Chromium/Chrome executable.\n',
  );
  process.exit(1);
}

function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  console.log(`=== ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

process.env.CHROMIUM_PATH ||= browserOrExplain();
step('typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
step('lint', 'npx', ['eslint', '.']);
step('format', 'npx', ['prettier', '--check', '.']);
step('unit', 'npx', ['vitest', 'run', '--project', 'unit']);
step('gpu', 'npx', ['vitest', 'run', '--project', 'gpu']);
step('e2e', 'npx', ['playwright', 'test', '--project=chromium']);
// The specs whose correctness must not depend on timing, again with every core busy (tests/e2e/load.ts).
step('e2e under load', 'npx', ['playwright', 'test', '--project=chromium', 'tests/e2e/lifecycle.spec.ts', 'tests/e2e/resume.spec.ts'], {
  E2E_LOAD: '1',
});
if (findFirefox()) {
  step('gpu in firefox', 'npx', ['vitest', 'run', '--project', 'gpu-firefox']);
  step('e2e in firefox', 'npx', ['playwright', 'test', '--project=firefox']);
} else if (isCI) {
  console.error('\nCI run: no Firefox (firefox-esr) for the GPU suite and the smoke in Firefox; .ci/run installs it.');
  process.exit(1);
} else {
  console.log('\n=== firefox: skipped (no Firefox: `sudo apt-get install -y firefox-esr mesa-vulkan-drivers`, or set FIREFOX_PATH)');
}
