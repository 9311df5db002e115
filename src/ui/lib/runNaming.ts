// Names runs by what sets them apart: "resnet-20" and "plain-20"; when two runs share that base name,
// the fields where they differ are added ("resnet-20 lr=0.05"), and a counter when nothing differs.
import type { FormConfig } from './formConfig';

export const baseName = (f: Pick<FormConfig, 'arch' | 'depth'>) => `${f.arch === 'plain' ? 'plain' : 'resnet'}-${f.depth}`;

type Field = Exclude<keyof FormConfig, 'arch' | 'depth'>;
const LABELS: { [K in Field]: (f: FormConfig) => string } = {
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
};
const FIELDS = Object.keys(LABELS) as Field[];

/** A name for a new run with form `f`, given the names and forms of the runs already shown. */
export function nameRun(f: FormConfig, others: { name: string; form?: FormConfig }[]): string {
  const base = baseName(f);
  const same = others.filter((o) => o.form && baseName(o.form) === base);
  const parts = new Set<string>();
  for (const o of same) for (const k of FIELDS) if (o.form![k] !== f[k]) parts.add(LABELS[k](f));
  const name = [base, ...parts].join(' ');
  const taken = new Set(others.map((o) => o.name));
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) if (!taken.has(`${name} #${i}`)) return `${name} #${i}`;
}
