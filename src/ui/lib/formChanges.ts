// What applying another form would change, in words: the Learn tour asks before it replaces the user's settings.
import type { FormConfig } from './formConfig';

const LABEL: Record<keyof FormConfig, string> = {
  arch: 'network',
  family: 'family',
  depth: 'depth',
  width: 'width',
  shortcut: 'shortcut',
  bn: 'BatchNorm',
  block: 'block',
  batch: 'batch',
  lr: 'learning rate',
  schedule: 'schedule',
  lengthUnit: 'length unit',
  length: 'length',
  seed: 'seed',
  momentum: 'momentum',
  weightDecay: 'weight decay',
  warmupSteps: 'warm-up steps',
  augment: 'augmentation',
  evalEvery: 'evaluate every',
  evalImages: 'test images per evaluation',
  recompute: 'recomputation',
  trainImages: 'training images',
  stem: 'stem',
  strideAt: 'bottleneck stride',
  imageSize: 'input size',
};

function shown(k: keyof FormConfig, f: FormConfig): string {
  const v = f[k];
  if (k === 'length') return `${f.length} ${f.lengthUnit}`;
  if (k === 'trainImages') return v === undefined ? 'all' : String(v);
  if (k === 'recompute') return v === undefined || v === 0 ? 'off' : String(v);
  if (k === 'family') return v === undefined ? 'CIFAR' : 'ImageNet';
  if (k === 'stem') return f.family !== 'imagenet' ? '3x3' : v === undefined ? '7x7 + max pool' : '3x3';
  if (k === 'strideAt') return f.family !== 'imagenet' ? '-' : v === undefined ? 'on the 3x3' : 'on the 1x1';
  if (k === 'imageSize') return `${f.imageSize ?? 32}×${f.imageSize ?? 32}`;
  if (k === 'evalImages') return v === 0 ? 'all' : String(v);
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}

/** "depth 8 → 20", one per setting that differs (the length with its unit, so the unit is not listed twice). */
export function formChanges(from: FormConfig, to: FormConfig): string[] {
  const out: string[] = [];
  for (const k of Object.keys(LABEL) as (keyof FormConfig)[]) {
    if (k === 'lengthUnit') continue;
    const [a, b] = [shown(k, from), shown(k, to)];
    if (a !== b) out.push(`${LABEL[k]} ${a} → ${b}`);
  }
  return out;
}
