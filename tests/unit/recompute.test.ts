// Activation recomputation: gradients equal those without it (float64 interpreter, same ops in the same order),
// the recomputed forward activations are dead in between (liveness), and peak memory grows like sqrt(depth).
import { describe, expect, test } from 'vitest';
import { appendBackward } from '../../src/graph/autodiff';
import { interpret, type Values } from '../../src/graph/interpret';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { initialState } from '../../src/model/init';
import { buildNetGraph, checkpointsEvery } from '../../src/model/resnet';
import { planTraining, sqrtEvery } from '../../src/runtime/memoryPlan';
import { Rng } from '../../src/util/rng';

const ALL = new Set(['forward', 'running', 'backward'] as const);

/** Gradients (by parameter name) and final running statistics of one training step, with recomputation every `k` blocks. */
function step(cfg: ModelConfig, k: number) {
  const batch = 3;
  const net = buildNetGraph(resolveConfig(cfg), batch, 'train');
  const gradOf = appendBackward(net.b, { checkpoints: checkpointsEvery(net, k) });
  const g = net.b.graph;
  const state = initialState(g, net.stateOrder, 3);
  const v: Values = new Map();
  for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
  const rng = new Rng(11);
  v.set(
    net.images,
    new Float64Array(batch * 3 * 32 * 32).map(() => Math.fround(rng.normal())),
  );
  v.set(
    net.labels,
    new Float64Array(batch).map(() => rng.int(10)),
  );
  interpret(g, v, ALL);
  const out: Record<string, Float64Array> = {};
  for (const p of net.params) out[`${p.name}.grad`] = v.get(gradOf.get(p.id)!)!;
  for (const s of net.states) out[s.name] = v.get(s.id)!;
  return { out, recomputed: g.nodes.filter((n) => n.name.endsWith('.re')).length, g };
}

describe('activation recomputation (float64 interpreter)', () => {
  const cfgs: [string, ModelConfig, number][] = [
    ['resnet-14 A, every block', { arch: 'residual', depth: 14, width: 2 }, 1],
    ['resnet-14 B, every 2 blocks', { arch: 'residual', depth: 14, width: 2, shortcut: 'B' }, 2],
    ['plain-14 no BN, every 2 blocks', { arch: 'plain', depth: 14, width: 2, batchNorm: false }, 2],
    ['bottleneck-20 B, every 2 blocks', { arch: 'residual', depth: 20, width: 2, block: 'bottleneck', shortcut: 'B' }, 2],
  ];
  test.each(cfgs)('%s: gradients and running statistics equal those without recomputation', (_, cfg, k) => {
    const base = step(cfg, 0);
    const rc = step(cfg, k);
    expect(base.recomputed).toBe(0);
    expect(rc.recomputed).toBeGreaterThan(0);
    expect(Object.keys(rc.out)).toEqual(Object.keys(base.out));
    for (const name of Object.keys(base.out)) expect(rc.out[name], name).toEqual(base.out[name]);
  });

  test('recomputed nodes run in the backward phase and update no running statistics', () => {
    const { g } = step({ arch: 'residual', depth: 14, width: 2 }, 1);
    const re = g.nodes.filter((n) => n.name.endsWith('.re'));
    expect(re.every((n) => n.phase === 'backward')).toBe(true);
    expect(re.some((n) => n.kind === 'bnRunningUpdate' || n.kind === 'softmaxXent')).toBe(false);
  });
});

describe('planned memory with recomputation', () => {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  test('ResNet-1202 at batch 128: peak grows like sqrt(depth) with recomputation, like depth without', () => {
    const rows = [110, 1202].map((depth) => {
      const m: ModelConfig = { arch: 'residual', depth };
      const k = sqrtEvery(m);
      return { depth, k, off: planTraining(m, 128, 0), on: planTraining(m, 128, k) };
    });
    for (const r of rows) {
      const extra = (100 * r.on.recomputeMacs) / r.on.forwardMacs;
      console.log(
        `ResNet-${r.depth} b128: activations ${mib(r.off.activationBytes)} without recomputation, ${mib(r.on.activationBytes)} with a checkpoint every ${r.k} blocks; ` +
          `parameters+grads+momentum+stats ${mib(r.on.persistentBytes)}; extra forward multiply-adds ${extra.toFixed(0)}%`,
      );
    }
    const [r110, r1202] = rows;
    // README.md quotes these figures: change it with them.
    const gib = (b: number) => (b / 2 ** 30).toFixed(2);
    expect(rows.map((r) => [r.depth, r.k, gib(r.off.activationBytes), gib(r.on.activationBytes)])).toEqual([
      [110, 7, '3.05', '0.82'],
      [1202, 24, '32.91', '2.59'],
    ]);
    const depthRatio = 1202 / 110;
    // Without recomputation every block's activations stay until its backward: ~linear in depth.
    expect(r1202.off.activationBytes / r110.off.activationBytes).toBeGreaterThan(0.8 * depthRatio);
    // With it: ~sqrt(depth) (sqrt(10.9) = 3.3); far below the depth ratio.
    expect(r1202.on.activationBytes / r110.on.activationBytes).toBeLessThan(Math.sqrt(depthRatio) * 1.5);
    expect(r1202.on.activationBytes).toBeLessThan(r1202.off.activationBytes / 8);
    // The cost: at most one extra forward pass.
    expect(r1202.on.recomputeMacs).toBeLessThan(r1202.on.forwardMacs);
    expect(r1202.on.recomputeMacs).toBeGreaterThan(0.8 * r1202.on.forwardMacs);
  }, 120_000);
});
