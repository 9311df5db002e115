// The GPU kit end to end without a GPU: `npm run device:pack` into a temporary folder, then its run.sh --quick
// (node, Dawn and the Vulkan loader unpacked from the kit, SwiftShader as the driver). About 3-4 minutes on
// two cores, so it runs only when asked: KIT_TEST=1 npx vitest run --project unit tests/unit/deviceKit.test.ts
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const wanted = !!process.env.KIT_TEST;
if (!wanted) console.info('deviceKit: skipped (slow); KIT_TEST=1 runs npm run device:pack and run.sh --quick');

describe.skipIf(!wanted)('GPU benchmark kit', () => {
  test('device:pack builds a kit under 60 MiB and its run.sh --quick writes every part of the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-'));
    try {
      const kit = join(dir, 'kit');
      const pack = spawnSync(process.execPath, ['scripts/device-pack.mjs', '--out', kit], { encoding: 'utf8', timeout: 300_000 });
      expect(pack.status, pack.stderr).toBe(0);
      expect(pack.stdout).toMatch(/kit: .* MiB \(limit 60 MiB\)/);
      const out = join(dir, 'out');
      const run = spawnSync(join(kit, 'run.sh'), ['--quick'], {
        encoding: 'utf8',
        timeout: 600_000,
        env: { ...process.env, OUT: out, KIT_WORK: join(dir, 'work') },
        cwd: dir,
      });
      expect(run.status, run.stderr).toBe(0);
      const engine = readFileSync(join(out, 'engine.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const results = engine.filter((e) => typeof e.imagesPerSec === 'number');
      expect(results.map((e) => e.model)).toEqual(['resnet8', 'plain14']);
      for (const r of results) {
        expect(r.imagesPerSec).toBeGreaterThan(0);
        expect((r.infer as { imagesPerSec: number }).imagesPerSec).toBeGreaterThan(0);
      }
      // The autotuner's line: tuned against both fixed profiles, every layer's candidates (SwiftShader: the 'cpu' rule).
      const tuned = readFileSync(join(out, 'autotune.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { model?: string; error?: string; tuned: { imagesPerSec: number }; layers: unknown[] })
        .filter((t) => t.model !== undefined); // the first line names the adapter
      expect(tuned.map((t) => [t.model, t.error])).toEqual([['resnet8', undefined]]);
      expect(tuned[0].tuned.imagesPerSec).toBeGreaterThan(0);
      expect(tuned[0].layers.length).toBeGreaterThan(5);
      const metrics = readdirSync(join(out, 'accuracy')).filter((f) => f.endsWith('-metrics.json'));
      expect(metrics.sort()).toEqual(['plain-14-metrics.json', 'plain-8-metrics.json', 'resnet-14-metrics.json', 'resnet-8-metrics.json']);
      const report = readFileSync(join(out, 'report.md'), 'utf8');
      expect(report).toContain('| resnet8 | 4 |');
      expect(report).toContain('| resnet-14 | 2 | 8 |');
      expect(report).toContain('## Autotuner');
      expect(report).toMatch(/\| resnet8 \| 4 \| cpu \| [\d.]+ \| cpu \| [\d.]+ \| (tuned|cpu) \|/);
      // PyTorch's rows where this machine has a python3 with torch (run.sh says which in run.log).
      if (existsSync(join(out, 'torch.jsonl')) && readFileSync(join(out, 'torch.jsonl'), 'utf8').trim())
        expect(report).toMatch(/\| resnet8 \| 4 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
