// The page's side of kernel tuning without a GPU: ?tuning= parsing, the tuning cache's browser key, the names of
// tuned networks, and the GPU report built from the store.
import { describe, expect, test } from 'vitest';
import { initCommand, tuningParam } from '../../src/ui/lib/tuningParam';
import { browserVersion } from '../../src/tune/cache';
import { modelName } from '../../src/tune/autotune';
import { gpuReport } from '../../src/ui/lib/gpuReport';
import type { EngineState } from '../../src/ui/store/types';
import type { TuneResult } from '../../src/train/protocol';

describe('?tuning=', () => {
  test('auto, cpu and gpu are modes; absent is the default; anything else is an alert and the default', () => {
    expect(tuningParam('')).toEqual({});
    for (const m of ['auto', 'cpu', 'gpu'] as const) expect(tuningParam(`?arch=plain&tuning=${m}`)).toEqual({ mode: m });
    const bad = tuningParam('?tuning=fastest');
    expect(bad.mode).toBeUndefined();
    expect(bad.alert?.message).toContain('?tuning=fastest, which is not a tuning mode');
    const warned: string[] = [];
    expect(initCommand('?tuning=GPU', (a) => warned.push(a.message))).toEqual({ type: 'init', tuning: undefined });
    expect(warned).toHaveLength(1);
    expect(initCommand('?tuning=gpu', (a) => warned.push(a.message))).toEqual({ type: 'init', tuning: 'gpu' });
  });
});

describe('the tuning cache key', () => {
  test('names the browser and its major version (a new version may compile WGSL differently)', () => {
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.7444.59 Safari/537.36';
    const edge = `${chrome} Edg/142.0.3595.53`;
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/153.0';
    expect(browserVersion(chrome)).toBe('Chrome 142');
    expect(browserVersion(edge)).toBe('Edge 142');
    expect(browserVersion(firefox)).toBe('Firefox 153');
    expect(browserVersion(undefined)).toBe('unknown browser');
  });

  test('a tuned network is named by everything that changes its layer shapes', () => {
    expect(modelName({ arch: 'residual', depth: 20 })).toBe('resnet20');
    expect(modelName({ arch: 'plain', depth: 8, width: 4 })).toBe('plain8-w4');
    expect(modelName({ arch: 'residual', depth: 20, shortcut: 'B', batchNorm: false })).toBe('resnet20-B-nobn');
    expect(modelName({ arch: 'residual', depth: 11, block: 'bottleneck' })).toBe('resnet11-bottleneck');
    // The ImageNet family against its own defaults (width 64, projections, 1000 classes, by-depth blocks).
    expect(modelName({ arch: 'residual', depth: 50, family: 'imagenet' })).toBe('resnet50-imagenet');
    expect(modelName({ arch: 'plain', depth: 18, family: 'imagenet', width: 8, classes: 10, stem: 'cifar' })).toBe(
      'plain18-imagenet-w8-c10-cifarstem',
    );
    expect(modelName({ arch: 'residual', depth: 101, family: 'imagenet', strideAt: '1x1' })).toBe('resnet101-imagenet-stride1x1');
  });
});

describe('the GPU report', () => {
  const result: TuneResult = {
    model: 'resnet20',
    batch: 32,
    adapter: 'google swiftshader',
    timing: 'timestamps',
    base: 'cpu',
    layers: [
      { key: 'k', kind: 'conv2d', nodes: ['conv1'], chosen: 'implicit', candidates: [{ label: 'implicit', ms: 1.5, profiles: ['cpu'] }] },
    ],
    choices: { k: {} as TuneResult['choices'][string] },
    estimate: { tuned: 1.5 },
    kept: 'tuned',
    why: 'tuned for this GPU',
    budgetHit: false,
    searchSeconds: 30,
    seconds: 40,
  };
  const engine: EngineState = {
    status: 'ready',
    adapter: 'WebGPU (Chrome), software adapter, google swiftshader',
    profile: 'cpu',
    tuning: { mode: 'manual', profile: 'cpu', why: 'tuned for this GPU', tuned: true, results: [result], running: false },
    gpu: { vendor: 'google', limits: { maxBufferSize: 1 << 30 }, features: ['timestamp-query'], timestamps: true },
  };

  test('holds the adapter, limits, features and every candidate time, not the kernels’ internal settings', () => {
    const r = gpuReport(engine, 'UA', new Date('2026-12-07T10:00:00Z'));
    expect(r.fileName).toMatch(/^gpu-report-.*swiftshader.*-2026-12-07\.json$/);
    const j = r.json as { gpu: { limits: Record<string, number> }; tuning: { results: Record<string, unknown>[] }; browser: string };
    expect(j.browser).toBe('UA');
    expect(j.gpu.limits.maxBufferSize).toBe(1 << 30);
    expect(j.tuning.results[0].layers).toEqual(result.layers);
    expect(j.tuning.results[0]).not.toHaveProperty('choices');
  });

  test('before the engine is ready: says what it does not know', () => {
    const r = gpuReport({ status: 'starting' }, 'UA', new Date('2026-12-07T10:00:00Z'));
    expect(r.json).toMatchObject({ adapter: null, gpu: null, tuning: null });
  });
});
