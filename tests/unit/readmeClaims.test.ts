// README.md's figures and layout table are the code's: each claim is recomputed here from the code it describes,
// so a change to the planner, the Learn tour's sweep or the UI's imports fails until the README says so too.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { toRunConfig, LEARN_SWEEP } from '../../src/ui/lib/formConfig';
import { planTraining, sqrtEvery } from '../../src/runtime/memoryPlan';
import { countFlops, countParams } from '../../src/model/counts';
import { IMAGENET_DEPTHS } from '../../src/model/config';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

test('the memory figures of activation recomputation (GiB, batch 128) are planTraining’s', () => {
  const [r1202, r110] = [1202, 110].map((depth) => {
    const m = { arch: 'residual' as const, depth };
    const k = sqrtEvery(m);
    return { k, off: gib(planTraining(m, 128, 0).activationBytes), on: gib(planTraining(m, 128, k).activationBytes) };
  });
  expect(README).toContain(
    `ResNet-1202 at batch 128 plans ${r1202.off} of activations without recomputation and ${r1202.on} with k = ${r1202.k}`,
  );
  expect(README).toContain(`(ResNet-110: ${r110.off} vs ${r110.on} with k = ${r110.k})`);
});

test('the counts row: the ImageNet family’s parameters and multiply-adds at 224 are countParams’ and countFlops’', () => {
  const net = (depth: number, strideAt: '3x3' | '1x1' = '3x3') => ({
    arch: 'residual' as const,
    depth,
    family: 'imagenet' as const,
    strideAt,
  });
  const g = (macs: number) => (macs / 1e9).toFixed(2);
  expect(README).toContain(
    `1000-class head: ${IMAGENET_DEPTHS.map((d) => countParams(net(d)).trainable.toLocaleString('en-US')).join(' / ')})`,
  );
  expect(README).toContain(`${IMAGENET_DEPTHS.map((d) => g(countFlops(net(d), 224))).join(' / ')} x10^9 at 224`);
  expect(README).toContain(`gives ${[50, 101, 152].map((d) => g(countFlops(net(d, '1x1'), 224))).join(' / ')} for the bottleneck nets`);
});

test('the Learn sweep’s multiply-adds in the first lines: forward plus a backward of twice the forward, every step of every run', () => {
  const { form, depths } = LEARN_SWEEP;
  let perStep = 0;
  for (const arch of ['residual', 'plain'] as const)
    for (const depth of depths) perStep += planTraining(toRunConfig({ ...form, arch, depth }).model, form.batch, 0).forwardMacs;
  const [mantissa, exp] = (3 * perStep * form.length).toExponential(1).split('e+');
  const intro = README.slice(0, README.indexOf('```')).replace(/\s+/g, ' ');
  expect(intro).toContain(`${mantissa}·10^${exp} multiply-adds in all`);
  expect(intro).toContain(
    `${depths.slice(0, -1).join(', ')} and ${depths.at(-1)} layers for ${form.length.toLocaleString('en-US')} steps at batch ${form.batch}`,
  );
});

test('the layout table’s src/ui row names every train/ and model/ module the UI imports', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : /\.tsx?$/.test(f) ? [join(dir, f)] : []));
  const used = new Set<string>();
  for (const f of files('src/ui'))
    for (const m of readFileSync(f, 'utf8').matchAll(/from '(?:\.\.\/)+((?:train|model)\/[\w/]+)'/g)) used.add(m[1]);
  const row = README.split('\n').find((l) => l.startsWith('| `src/ui/` |'))!;
  const allowed = row.split('|')[3];
  expect(used.size).toBeGreaterThan(0);
  for (const m of used) expect(allowed, m).toContain(`\`${m}\``);
});
