// The run form as the user sees it, its presets, and its conversion to the worker's RunConfig.
// Pure data: no React, no store.
import { IMAGENET_DEPTHS } from '../../model/counts';
import type { RunConfig } from '../../train/protocol';

export type Arch = 'residual' | 'plain';
export type Block = 'basic' | 'bottleneck';
export type Schedule = RunConfig['schedule'];
export type LengthUnit = 'steps' | 'epochs';

export interface FormConfig {
  arch: Arch;
  /** The paper's ImageNet networks (Table 1) where 'imagenet'; absent: the CIFAR family. */
  family?: 'imagenet';
  depth: number;
  width: number;
  shortcut: 'A' | 'B';
  bn: boolean;
  block: Block;
  batch: number;
  lr: number;
  schedule: Schedule;
  lengthUnit: LengthUnit;
  length: number;
  seed: number;
  momentum: number;
  weightDecay: number;
  warmupSteps: number;
  augment: boolean;
  /** Evaluate on the test split every this many steps (0 = only at the end). */
  evalEvery: number;
  /** Test images per evaluation (0 = the whole split). */
  evalImages: number;
  /** Activation recomputation (RunConfig.recompute); absent: off. */
  recompute?: 'auto' | number;
  /** Training images used (RunConfig.trainImages); absent: all. */
  trainImages?: number;
  /** ImageNet family: 'cifar' for the 3x3 stride-1 stem without max-pool; absent: the 7x7 stride-2 stem and max-pool. */
  stem?: 'cifar';
  /** ImageNet family: '1x1' strides a downsampling bottleneck on its first 1x1 (the paper); absent: its 3x3 (torchvision). */
  strideAt?: '1x1';
  /** ImageNet family: input height = width (RunConfig.imageSize: the 32x32 images enlarged to it); absent: 32. */
  imageSize?: number;
}

/** The input sizes offered for transfer (the ImageNet family's nets expect larger images than CIFAR's). */
export const INPUT_SIZES = [32, 64, 96, 128, 224];

export const PAPER_RECIPE: FormConfig = {
  arch: 'residual',
  depth: 20,
  width: 16,
  shortcut: 'A',
  bn: true,
  block: 'basic',
  batch: 128,
  lr: 0.1,
  schedule: 'step',
  lengthUnit: 'steps',
  length: 64000,
  seed: 0,
  momentum: 0.9,
  weightDecay: 1e-4,
  warmupSteps: 0,
  augment: true,
  evalEvery: 1000,
  evalImages: 0,
};

export const QUICK_LOOK: FormConfig = {
  ...PAPER_RECIPE,
  depth: 8,
  width: 8,
  batch: 32,
  lr: 0.05,
  schedule: 'cosine',
  length: 300,
  evalEvery: 50,
  evalImages: 500,
};

/** The Learn tour's plain-vs-residual twins (ResNet-20 and plain-20 at width 8), and the form a first visit starts from. */
export const LEARN_TWINS: FormConfig = { ...QUICK_LOOK, depth: 20 };

/** The Learn tour's depth sweep: the paper's depths, 2,000 steps at batch 128 each (README states its multiply-adds). */
export const LEARN_SWEEP: { form: FormConfig; depths: number[] } = {
  form: { ...QUICK_LOOK, width: 16, batch: 128, lr: 0.1, length: 2000, evalEvery: 0, evalImages: 0 },
  depths: [20, 32, 44, 56],
};

/** The deeper CIFAR variant: bottleneck blocks, n = 18, depth 9n+2 = 164, projection shortcuts (1.7M parameters). */
export const RESNET164_RECIPE: FormConfig = { ...PAPER_RECIPE, depth: 164, block: 'bottleneck', shortcut: 'B' };

/** The paper's 1202-layer net (n = 200), with activation recomputation so it fits in memory. */
export const RESNET1202_RECIPE: FormConfig = { ...PAPER_RECIPE, depth: 1202, recompute: 'auto' };

export const PRESETS: { name: string; config: FormConfig }[] = [
  { name: 'Paper recipe (ResNet-20)', config: PAPER_RECIPE },
  { name: 'Quick look', config: QUICK_LOOK },
  { name: 'Bottleneck ResNet-164', config: RESNET164_RECIPE },
];

/** The most steps a run may ask for (156 times the paper's 64,000), and the most epochs. */
export const MAX_STEPS = 10_000_000;
export const MAX_EPOCHS = 10_000;

/**
 * Ranges of the whole-number fields: formProblems refuses values outside them, and a link's values are clamped into
 * them (urlConfig.ts), so both say the same.
 */
export const INT_RANGES = {
  width: [1, 256],
  batch: [1, 4096],
  // The generator takes 32 bits of the seed: a larger seed would silently repeat a smaller one's run.
  seed: [0, 2 ** 32 - 1],
  warmupSteps: [0, MAX_STEPS],
  evalEvery: [0, MAX_STEPS],
  // The CIFAR-10 test split holds 10,000 images (0 = all of them).
  evalImages: [0, 10_000],
} as const satisfies Partial<Record<keyof FormConfig, readonly [number, number]>>;

const wholeIn = (v: number, [lo, hi]: readonly [number, number]) => Number.isInteger(v) && v >= lo && v <= hi;

/** Blocks per stage add `per` layers: 6 for basic blocks (6n+2), 9 for bottleneck blocks (9n+2). */
export const layersPerN = (block: Block) => (block === 'bottleneck' ? 9 : 6);

/** Table 1's depths (the ImageNet family; the block follows from the depth). */
export const IMAGENET_FORM_DEPTHS: readonly number[] = IMAGENET_DEPTHS;

/** The block of an ImageNet-family depth: bottlenecks from 50 layers on. */
export const imagenetBlock = (depth: number): Block => (depth >= 50 ? 'bottleneck' : 'basic');

/** The depths the form offers: Table 1's for the ImageNet family, else depthOptions of the block. */
export const formDepths = (f: Pick<FormConfig, 'family' | 'block'>): readonly number[] =>
  f.family === 'imagenet' ? IMAGENET_FORM_DEPTHS : depthOptions(f.block);

/** The form switched to a family: Table 1's ResNet-18 at the form's width, or the CIFAR family at a valid depth. */
export function withFamily(f: FormConfig, family: 'cifar' | 'imagenet'): Partial<FormConfig> {
  if (family === 'imagenet') {
    const depth = IMAGENET_FORM_DEPTHS.includes(f.depth) ? f.depth : 18;
    return { family: 'imagenet', depth, block: imagenetBlock(depth), shortcut: 'B' };
  }
  return { family: undefined, stem: undefined, strideAt: undefined, imageSize: undefined, depth: snapDepth(f.depth, f.block) };
}

/** The depths offered for a block type: 8..110 and the paper's 1202 for basic blocks, 11..164 for bottlenecks. */
export function depthOptions(block: Block): number[] {
  const per = layersPerN(block);
  const max = block === 'bottleneck' ? 164 : 110;
  const out: number[] = [];
  for (let n = 1; per * n + 2 <= max; n++) out.push(per * n + 2);
  if (block === 'basic') out.push(1202);
  return out;
}

/** The depths of depthOptions in words: "6n+2 from 8 to 110, or 1202". */
export function depthRule(block: Block): string {
  const per = layersPerN(block);
  const opts = depthOptions(block);
  const run = opts.filter((d, i) => i === 0 || d - opts[i - 1] === per);
  const extra = opts.slice(run.length);
  return `${per}n+2 from ${run[0]} to ${run.at(-1)}${extra.length ? `, or ${extra.join(', ')}` : ''}`;
}

/** The valid depth closest to `depth` for `block`. */
export function snapDepth(depth: number, block: Block): number {
  const opts = depthOptions(block);
  return opts.reduce((best, d) => (Math.abs(d - depth) < Math.abs(best - depth) ? d : best), opts[0]);
}

/** The network of the form (the ImageNet family with CIFAR-10's 10 classes: the data the app trains on). */
export function formModel(f: FormConfig): RunConfig['model'] {
  const common = { arch: f.arch, depth: f.depth, width: f.width, shortcut: f.shortcut, batchNorm: f.bn };
  if (f.family !== 'imagenet') return { ...common, block: f.block };
  return { ...common, family: 'imagenet', classes: 10, stem: f.stem ?? 'imagenet', strideAt: f.strideAt ?? '3x3' };
}

export function toRunConfig(f: FormConfig): RunConfig {
  return {
    model: formModel(f),
    batchSize: f.batch,
    lr: f.lr,
    momentum: f.momentum,
    weightDecay: f.weightDecay,
    schedule: f.schedule,
    warmupSteps: f.warmupSteps,
    ...(f.lengthUnit === 'steps' ? { steps: f.length } : { epochs: f.length }),
    seed: f.seed,
    augment: f.augment,
    valCount: 0,
    evalEvery: f.evalEvery,
    evalImages: f.evalImages,
    // Both BN modes at every evaluation, so the two test accuracies can be compared all along (one is enough without BN).
    evalBnModes: f.bn ? ['eval', 'train'] : ['eval'],
    ...(f.recompute !== undefined && f.recompute !== 0 ? { recompute: f.recompute } : {}),
    ...(f.trainImages ? { trainImages: f.trainImages } : {}),
    ...(f.family === 'imagenet' && f.imageSize && f.imageSize !== 32 ? { imageSize: f.imageSize } : {}),
  };
}

/** The form a RunConfig came from (for runs loaded from a checkpoint or restored from storage). */
export function fromRunConfig(c: RunConfig): FormConfig {
  const m = c.model;
  const imagenet = m.family === 'imagenet';
  return {
    arch: m.arch,
    ...(imagenet ? { family: 'imagenet' as const } : {}),
    ...(imagenet && m.stem === 'cifar' ? { stem: 'cifar' as const } : {}),
    ...(imagenet && m.strideAt === '1x1' ? { strideAt: '1x1' as const } : {}),
    ...(imagenet && c.imageSize && c.imageSize !== 32 ? { imageSize: c.imageSize } : {}),
    depth: m.depth,
    width: m.width ?? (imagenet ? 64 : 16),
    shortcut: m.shortcut ?? (imagenet ? 'B' : 'A'),
    bn: m.batchNorm ?? true,
    block: m.block ?? (imagenet ? imagenetBlock(m.depth) : 'basic'),
    batch: c.batchSize,
    lr: c.lr,
    schedule: c.schedule,
    lengthUnit: c.steps !== undefined ? 'steps' : 'epochs',
    length: c.steps ?? c.epochs ?? 1,
    seed: c.seed,
    momentum: c.momentum,
    weightDecay: c.weightDecay,
    warmupSteps: c.warmupSteps,
    augment: c.augment,
    evalEvery: c.evalEvery,
    evalImages: c.evalImages,
    ...(c.recompute !== undefined ? { recompute: c.recompute } : {}),
    ...(c.trainImages ? { trainImages: c.trainImages } : {}),
  };
}

/** Problems with the form in words, or [] when it can be trained. */
export function formProblems(f: FormConfig): string[] {
  const p: string[] = [];
  if (f.family === 'imagenet') {
    if (!IMAGENET_FORM_DEPTHS.includes(f.depth)) p.push(`Depth must be one of Table 1's: ${IMAGENET_FORM_DEPTHS.join(', ')}.`);
  } else if (!depthOptions(f.block).includes(f.depth)) p.push(`Depth must be ${depthRule(f.block)} for ${f.block} blocks.`);
  const r = INT_RANGES;
  if (!wholeIn(f.width, r.width)) p.push('Width must be a whole number from 1 to 256.');
  if (!wholeIn(f.batch, r.batch)) p.push('Batch size must be a whole number from 1 to 4096.');
  if (!(f.lr > 0) || !Number.isFinite(f.lr)) p.push('Learning rate must be a positive number.');
  const maxLength = f.lengthUnit === 'steps' ? MAX_STEPS : MAX_EPOCHS;
  if (!(f.length > 0 && f.length <= maxLength)) p.push(`The number of ${f.lengthUnit} must be positive, at most ${maxLength}.`);
  if (f.lengthUnit === 'steps' && !Number.isInteger(f.length)) p.push('Steps must be a whole number.');
  if (!wholeIn(f.seed, r.seed)) p.push(`Seed must be a whole number from 0 to ${r.seed[1]}.`);
  if (!(f.momentum >= 0 && f.momentum < 1)) p.push('Momentum must be in [0, 1).');
  if (!(f.weightDecay >= 0) || !Number.isFinite(f.weightDecay)) p.push('Weight decay must be a number >= 0.');
  if (!wholeIn(f.warmupSteps, r.warmupSteps)) p.push(`Warm-up steps must be a whole number from 0 to ${MAX_STEPS}.`);
  if (!wholeIn(f.evalEvery, r.evalEvery)) p.push(`"Evaluate every" must be a whole number from 0 to ${MAX_STEPS}.`);
  if (!wholeIn(f.evalImages, r.evalImages)) p.push('"Test images" must be a whole number from 0 to 10000 (0 = all).');
  return p;
}
