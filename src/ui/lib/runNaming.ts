// Names runs short, by what sets them apart: "resnet-20" and "plain-20"; when two runs share that base name, the
// first field (in LABELS' order) where the new one differs is added ("resnet-20 lr=0.05"), and a counter when that
// name is taken ("resnet-20 lr=0.05 #2"). One field at most: the row's tooltip and the form say the rest, and the user
// can rename a run (checkRunName).
import type { FormConfig } from './formConfig';

export const baseName = (f: Pick<FormConfig, 'arch' | 'depth'>) => `${f.arch === 'plain' ? 'plain' : 'resnet'}-${f.depth}`;

type Field = Exclude<keyof FormConfig, 'arch' | 'depth'>;
const LABELS: { [K in Field]: (f: FormConfig) => string } = {
  family: (f) => (f.family === 'imagenet' ? 'imagenet' : 'cifar'),
  width: (f) => `w${f.width}`,
  shortcut: (f) => `opt-${f.shortcut}`,
  bn: (f) => (f.bn ? 'bn' : 'no-bn'),
  block: (f) => f.block,
  batch: (f) => `b${f.batch}`,
  lr: (f) => `lr=${f.lr}`,
  schedule: (f) => f.schedule,
  lengthUnit: (f) => `${f.length} ${f.lengthUnit}`,
  length: (f) => `${f.length} ${f.lengthUnit}`,
  seed: (f) => `seed ${f.seed}`,
  momentum: (f) => `m=${f.momentum}`,
  weightDecay: (f) => `wd=${f.weightDecay}`,
  warmupSteps: (f) => `warmup ${f.warmupSteps}`,
  augment: (f) => (f.augment ? 'aug' : 'no-aug'),
  evalEvery: (f) => `eval/${f.evalEvery}`,
  evalImages: (f) => `eval ${f.evalImages} img`,
  recompute: (f) => (f.recompute ? `recompute ${f.recompute}` : 'no-recompute'),
  trainImages: (f) => (f.trainImages ? `${f.trainImages} img` : 'all img'),
  stem: (f) => (f.stem === 'cifar' ? '3x3-stem' : '7x7-stem'),
  strideAt: (f) => (f.strideAt === '1x1' ? 'stride-1x1' : 'stride-3x3'),
  imageSize: (f) => `${f.imageSize ?? 32}px`,
};
const FIELDS = Object.keys(LABELS) as Field[];

/** A name for a new run with form `f`, given the names and forms of the runs already shown. */
export function nameRun(f: FormConfig, others: { name: string; form?: FormConfig }[]): string {
  const base = baseName(f);
  const same = others.filter((o) => o.form && baseName(o.form) === base);
  const differs = FIELDS.find((k) => same.some((o) => o.form![k] !== f[k]));
  const name = differs ? `${base} ${LABELS[differs](f)}` : base;
  const taken = new Set(others.map((o) => o.name));
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) if (!taken.has(`${name} #${i}`)) return `${name} #${i}`;
}

/** Longest name a run may be given (a row shows about this much beside its state and numbers). */
export const MAX_NAME = 40;

/** A name the user typed for run `id`, trimmed, or what is wrong with it: empty, too long, or another run's. */
export function checkRunName(
  wanted: string,
  id: string,
  runs: readonly { id: string; name: string }[],
): { name: string } | { problem: string } {
  const name = wanted.trim().replace(/\s+/g, ' ');
  if (!name) return { problem: 'A run needs a name.' };
  if (name.length > MAX_NAME) return { problem: `At most ${MAX_NAME} characters (this is ${name.length}).` };
  const other = runs.find((r) => r.id !== id && r.name === name);
  if (other) return { problem: `Another run is called “${name}”: names tell runs apart in charts and files.` };
  return { name };
}
