// The autotuner (src/tune): a network whose layers run different kernel variants (as a tuning that chooses per
// layer leaves it) matches the float64 reference; a real tuning run picks the fastest timed candidate of every
// layer, confirms it on whole steps, is put into effect per layer, and stops when cancelled.
import { beforeAll, describe, expect, test } from 'vitest';
import { buildNetwork, createEngine, type Engine, type ModelConfig } from '../../src/index';
import type { Gpu } from '../../src/gpu/gpu';
import { TUNINGS, type Tuning } from '../../src/gpu/tuning';
import { nodeKey, nodeTuning } from '../../src/graph/ops';
import { applyTuning, autotune, CPU_MARGIN, GPU_MARGIN, trainingGraph, tunableLayers, TuneCancelled } from '../../src/tune/autotune';
import { checkGradients } from './netCheck';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const cfg: ModelConfig = { arch: 'residual', depth: 8 };

describe('a network tuned per layer', () => {
  test('with different variants per layer, its loss, logits and every gradient match the float64 reference', async () => {
    // Layer i takes candidate i mod (its count), each layer from the other end for the backward passes: the
    // convolutions then run explicit, implicit and igemm kernels side by side, the BatchNorms all three reductions.
    const g = trainingGraph(cfg, 4);
    const layers = tunableLayers(g, engine.gpu.tuning, false);
    const choices = new Map<string, Tuning>();
    layers.forEach((l, i) => choices.set(l.key, l.candidates[(i * 7 + 3) % l.candidates.length].tuning));
    const convVariants = new Set<string>();
    const bnVariants = new Set<string>();
    for (const n of g.nodes) {
      const t = choices.get(nodeKey(g, n));
      if (!t) continue;
      if (n.kind === 'conv2d') convVariants.add(t.conv.forward);
      if (n.kind === 'conv2dGradInput') convVariants.add(t.conv.input);
      if (n.kind === 'conv2dGradWeight') convVariants.add(t.conv.weight);
      if (n.kind === 'batchNorm' || n.kind === 'batchNormGrad') bnVariants.add(t.bnReduce);
    }
    expect([...convVariants].sort()).toEqual(['explicit', 'igemm', 'implicit']);
    expect(bnVariants.size).toBe(3);
    const gpu = { ...engine.gpu, layers: choices };
    const r = await checkGradients({ ...engine, gpu }, cfg, 4);
    console.log(`per-layer variants: gradients ${r.grad.toExponential(1)} of the norm, floor ${r.floor.toExponential(1)} x rms`);
    // The network compiled what the map says: each tuned node lowered with its layer's tuning.
    const net = await buildNetwork({ ...engine, gpu }, cfg, { batchSize: 4, seed: 0 });
    try {
      const t = await net.target('train', 4);
      const tuned = t.compiled.graph.nodes.filter((n) => nodeTuning(gpu, t.compiled.graph, n) !== gpu.tuning);
      expect(tuned.length).toBe(g.nodes.filter((n) => choices.has(nodeKey(g, n))).length);
    } finally {
      net.destroy();
    }
  });
});

describe('autotune', () => {
  test('times every candidate, keeps the fastest per layer, confirms on whole steps and applies per layer', async () => {
    const gpu = { ...engine.gpu, tuning: TUNINGS[engine.gpu.tuning.profile], layers: undefined };
    const seen: number[] = [];
    const r = await autotune(gpu, cfg, 4, { budgetMs: 120_000, confirmSteps: 1, onProgress: (p) => seen.push(p.done) });
    expect(r.budgetHit).toBe(false);
    expect(r.layers.length).toBe(tunableLayers(trainingGraph(cfg, 4), gpu.tuning, r.base === 'cpu').length);
    for (const l of r.layers) {
      const timed = l.candidates.filter((c) => c.ms !== undefined && !c.pruned);
      expect(timed.length, l.key).toBeGreaterThan(0);
      // The fastest, unless it beats the base profile's variant by less than the margin: then that one.
      const fastest = timed.reduce((a, b) => (b.ms! < a.ms! ? b : a));
      const incumbent = l.candidates.find((c) => c.profiles.includes(r.base))!;
      const margin = r.base === 'cpu' ? CPU_MARGIN : GPU_MARGIN;
      const keepsIncumbent = !incumbent.pruned && fastest.ms! > incumbent.ms! * (1 - margin);
      expect(l.chosen, l.key).toBe(keepsIncumbent ? incumbent.label : fastest.label);
      // Both fixed profiles' variants are among the candidates, each named once.
      for (const p of ['cpu', 'gpu'] as const) expect(l.candidates.filter((c) => c.profiles.includes(p)).length, `${l.key} ${p}`).toBe(1);
      expect(r.choices[l.key]).toBeDefined();
    }
    expect(seen.length).toBeGreaterThan(r.layers.length);
    if (r.step) {
      // Some layer runs another variant: whole steps decided what is kept.
      expect(r.step.tunedMs).toBeGreaterThan(0);
      expect(r.kept === 'tuned').toBe(r.step.tunedMs <= r.step.fixedMs);
    } else {
      // Every layer chose the base profile's variant: that profile is kept, no steps needed.
      expect(r.kept).toBe(r.base);
      for (const l of r.layers) expect(l.candidates.find((c) => c.label === l.chosen)!.profiles).toContain(r.base);
    }
    expect(r.searchSeconds).toBeLessThanOrEqual(r.seconds);
    expect(r.why).toMatch(r.kept === 'tuned' ? /^tuned for this GPU/ : new RegExp(`'${r.kept}' profile`));

    const target: Gpu = { ...gpu };
    const why = applyTuning(target, [r]);
    if (r.kept === 'tuned') {
      expect(target.layers!.size).toBe(r.layers.length);
      expect(why).toMatch(/^tuned for this GPU \(resnet8 batch 4\)/);
    } else {
      expect(target.layers).toBeUndefined();
      expect(target.tuning).toBe(TUNINGS[r.kept]);
    }
  });

  test('stops with TuneCancelled when its signal is aborted, leaving the device usable', async () => {
    const ac = new AbortController();
    const gpu = { ...engine.gpu, layers: undefined };
    await expect(
      autotune(gpu, cfg, 4, {
        onProgress: (p) => {
          if (p.done === 2) ac.abort();
        },
        signal: ac.signal,
      }),
    ).rejects.toBeInstanceOf(TuneCancelled);
    const net = await buildNetwork(engine, cfg, { batchSize: 4, seed: 0 });
    try {
      const { images, labels } = await import('./netReference').then((m) => m.batch(1, 4));
      expect(Number.isFinite((await net.trainStep(images, labels, { lr: 0.01, momentum: 0.9, weightDecay: 0 })).loss)).toBe(true);
    } finally {
      net.destroy();
    }
  });
});
