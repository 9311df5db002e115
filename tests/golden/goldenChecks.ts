// The checks of a ResNet-8 golden run, shared by the browser (tests/gpu/torchGolden.test.ts) and Node
// (tests/unit/nodeEngine.test.ts), so that both engines answer to one golden with the same thresholds:
// - expectTorchGolden: against PyTorch in float64 (resnet8-torch.json);
// - expectEngineLosses: against the browser's own float32 losses (resnet8-engine-losses.json). The browser and
//   Node run the same WGSL on SwiftShader, so their losses agree to the last bits or nearly; the PyTorch check
//   alone (1e-5) would let the two drift apart by far more than float32 rounding.
// No GPU here: the callers train and hand over what they read back.
import { expect } from 'vitest';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { GOLDEN, goldenInitialState, type GoldenCase } from './resnet8Inputs';
import resnet8Golden from './resnet8-torch.json';
import variantsGolden from './variants-torch.json';
import engineLosses from './resnet8-engine-losses.json';
import { expectScalarClose } from '../gpu/netReference';
import { expectMaxClose } from '../support/close';

/** What a golden run reads back: the state before and after the steps, and each step's loss and correct count. */
export interface GoldenRun {
  initial: Record<string, Float32Array>;
  losses: number[];
  correct: number[];
  final: Record<string, Float32Array>;
}

/** What torch_golden.py records of one run. */
export interface TorchGolden {
  torch: string;
  config: unknown;
  seed: number;
  dataSeed: number;
  batch: number;
  steps: number;
  hyper: GoldenCase['hyper'];
  losses: number[];
  correct: number[];
  initialNorms: Record<string, number>;
  finalNorms: Record<string, number>;
  bnStats: Record<string, number[]>;
}

const golden: TorchGolden = resnet8Golden;
/** The variants' goldens by GOLDEN_VARIANTS name. */
export const VARIANT_GOLDENS: Record<string, TorchGolden> = variantsGolden;

export const TORCH_VERSION = golden.torch;

/** Where the browser's losses are recorded (by `RECORD_ENGINE_LOSSES=1 npx vitest run --project gpu tests/gpu/torchGolden.test.ts`). */
export const ENGINE_LOSSES_FILE = 'tests/golden/resnet8-engine-losses.json';

/** Relative tolerance between the browser's and Node's float32 losses: SwiftShader both, the same WGSL. */
export const ENGINE_LOSS_REL = 1e-6;

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/**
 * The golden's recorded setup is the one the inputs module builds now; if not, regenerate it (see resnet8Inputs.ts).
 * Its config was resolved when it was made: resolved again, it gains the fields added since at their defaults.
 */
export function expectGoldenSetup(c: GoldenCase = GOLDEN, g: TorchGolden = golden): void {
  const { config, seed, batch, steps, dataSeed, hyper } = c;
  expect(resolveConfig(g.config as ModelConfig)).toEqual(resolveConfig(config));
  expect([g.seed, g.batch, g.steps, g.dataSeed, g.hyper]).toEqual([seed, batch, steps, dataSeed, hyper]);
}

/** The run against PyTorch: initial state, losses, correct counts, final weight norms and BN statistics. Returns the errors. */
export function expectTorchGolden(
  run: GoldenRun,
  c: GoldenCase = GOLDEN,
  g: TorchGolden = golden,
): { loss: number; norms: number; stats: number } {
  const expected = goldenInitialState(c);
  expect(Object.keys(run.initial)).toEqual(Object.keys(g.initialNorms));
  for (const [name, want] of Object.entries(g.initialNorms)) {
    expect(run.initial[name], name).toEqual(expected[name]);
    expectScalarClose(`initial norm ${name}`, norm(run.initial[name]), want, 1e-9);
  }

  // Tolerances: measured on SwiftShader, both tuning profiles: loss 3.5e-8, weight norms 1.5e-8, BN statistics
  // 6.3e-7 (of each tensor's scale). Dropping weight decay alone moves them by 1.1e-5, 5.6e-5 and 2.8e-5, so
  // 1e-5, 1e-6 and 1e-5 leave float32 a wide margin and still see a missing term of the update.
  expect(run.losses).toHaveLength(c.steps);
  expect(run.correct).toEqual(g.correct);
  const loss = Math.max(...run.losses.map((l, i) => expectScalarClose(`step ${i} loss`, l, g.losses[i], 1e-5)));

  let norms = 0;
  for (const [name, want] of Object.entries(g.finalNorms)) {
    norms = Math.max(norms, expectScalarClose(`final norm ${name}`, norm(run.final[name]), want, 1e-6));
  }
  let stats = 0;
  for (const [name, want] of Object.entries(g.bnStats)) stats = Math.max(stats, expectMaxClose(name, run.final[name], want, 1e-5));
  // Every state tensor is covered: parameters by norm, statistics element by element.
  expect(Object.keys(run.final).sort()).toEqual([...Object.keys(g.finalNorms), ...Object.keys(g.bnStats)].sort());
  return { loss, norms, stats };
}

/** The browser's recorded float32 losses (and the adapter that produced them). */
export const ENGINE_LOSSES: { adapter: string; losses: number[] } = engineLosses;

/** Same WebGPU implementation: SwiftShader in Chromium and Dawn's SwiftShader in Node run the same WGSL with the same profile. */
const sameImplementation = (a: string, b: string) => a.toLowerCase().includes('swiftshader') === b.toLowerCase().includes('swiftshader');

/**
 * The losses equal the browser's recorded ones to ENGINE_LOSS_REL relative, on the implementation they were recorded on
 * (a real GPU runs the 'gpu' profile's kernels, whose sums are ordered differently: there only the PyTorch golden's
 * 1e-5 applies). Returns the largest relative difference, or undefined where the adapter differs.
 */
export function expectEngineLosses(losses: number[], adapter: string): number | undefined {
  if (!sameImplementation(adapter, engineLosses.adapter)) {
    console.log(`${adapter} is not ${engineLosses.adapter}, on which ${ENGINE_LOSSES_FILE} was recorded: bit-level comparison skipped`);
    return undefined;
  }
  const { seed, batch, steps, dataSeed, hyper } = GOLDEN;
  const recorded = [engineLosses.seed, engineLosses.batch, engineLosses.steps, engineLosses.dataSeed, engineLosses.hyper];
  expect(recorded, `${ENGINE_LOSSES_FILE} is for other inputs: record it again`).toEqual([seed, batch, steps, dataSeed, hyper]);
  expect(losses).toHaveLength(steps);
  let worst = 0;
  for (const [i, want] of engineLosses.losses.entries()) {
    const err = Math.abs(losses[i] - want) / Math.abs(want);
    if (!(err <= ENGINE_LOSS_REL))
      expect.fail(
        `step ${i} loss: got ${losses[i]}, the browser's ${want} on ${engineLosses.adapter} (rel ${err}, at most ${ENGINE_LOSS_REL})`,
      );
    worst = Math.max(worst, err);
  }
  return worst;
}

/** The fixture's text for the browser's `losses` on `adapter`. */
export function engineLossesJson(adapter: string, losses: number[]): string {
  const { seed, batch, steps, dataSeed, hyper } = GOLDEN;
  const fixture = {
    about:
      "The browser engine's float32 losses for tests/golden/resnet8Inputs.ts (tests/gpu/torchGolden.test.ts); the Node engine must reproduce them (tests/unit/nodeEngine.test.ts)",
    regenerate: 'RECORD_ENGINE_LOSSES=1 npx vitest run --project gpu tests/gpu/torchGolden.test.ts',
    adapter,
    seed,
    batch,
    steps,
    dataSeed,
    hyper,
    losses,
  };
  return `${JSON.stringify(fixture, null, 1)}\n`;
}
