// The run form in the URL query, so a link opens the same configuration. Keys (the contract):
// arch, depth, width, shortcut, bn, batch, lr, epochs or steps, seed; and, when not at their defaults,
// block, schedule, momentum, wd, warmup, augment, evalEvery, evalImages.
// A link's values are held to the form's rules (formConfig.ts): a value that cannot be read, or is out of range with
// no sensible nearest value, is ignored; a number out of range is clamped (depth: the nearest valid depth). Each
// change is noted in words, for the alert the app shows when it opens such a link.
import {
  INT_RANGES,
  MAX_EPOCHS,
  MAX_STEPS,
  PAPER_RECIPE,
  IMAGENET_FORM_DEPTHS,
  depthRule,
  imagenetBlock,
  snapDepth,
  type FormConfig,
} from './formConfig';

const bool = (s: string): boolean | undefined =>
  ['1', 'true', 'on', 'yes'].includes(s.toLowerCase()) ? true : ['0', 'false', 'off', 'no'].includes(s.toLowerCase()) ? false : undefined;
const oneOf = <T extends string>(s: string, values: readonly T[]): T | undefined => values.find((v) => v.toLowerCase() === s.toLowerCase());
/** Long values are cut in the notes, so a garbage link cannot fill the screen. */
const shown = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);

export interface QueryReading {
  form: FormConfig;
  /** One sentence per value of the link that was ignored or changed; empty when it was taken as written. */
  notes: string[];
}

/** The form described by `search`, starting from `base` for anything the query does not say (or says wrongly). */
export function readFormQuery(search: string, base: FormConfig = PAPER_RECIPE): QueryReading {
  const q = new URLSearchParams(search);
  const f: FormConfig = { ...base };
  const notes: string[] = [];
  const ignored = (key: string, raw: string, why: string, kept: unknown) =>
    notes.push(`${key} ${shown(raw)} ${why}: kept ${String(kept)}.`);

  /** A finite number, or undefined (noted) when the value is there but is not one. */
  const num = (key: string, kept: unknown): number | undefined => {
    const raw = q.get(key);
    if (raw === null) return undefined;
    const v = raw.trim() === '' ? NaN : Number(raw);
    if (Number.isFinite(v)) return v;
    ignored(key, raw, 'is not a number', kept);
    return undefined;
  };
  const choice = <T extends string>(key: string, values: readonly T[], kept: T): T => {
    const raw = q.get(key);
    if (raw === null) return kept;
    const v = oneOf(raw, values);
    if (v === undefined) ignored(key, raw, `is not one of ${values.join(', ')}`, kept);
    return v ?? kept;
  };
  const flag = (key: string, kept: boolean): boolean => {
    const raw = q.get(key);
    if (raw === null) return kept;
    const v = bool(raw);
    if (v === undefined) ignored(key, raw, 'is not 1 or 0', kept ? 1 : 0);
    return v ?? kept;
  };
  /** A whole number clamped into [lo, hi]; the clamped or rounded value is noted. */
  const whole = (key: string, [lo, hi]: readonly [number, number], kept: number, keptText: unknown = kept): number => {
    const v = num(key, keptText);
    if (v === undefined) return kept;
    const got = Math.min(hi, Math.max(lo, Math.round(v)));
    if (got !== v) notes.push(`${key} ${shown(q.get(key)!)} is not a whole number from ${lo} to ${hi}: using ${got}.`);
    return got;
  };
  /** A number where `ok` holds, else the kept value (noted). */
  const real = (key: string, ok: (v: number) => boolean, rule: string, kept: number, keptText: unknown = kept): number => {
    const v = num(key, keptText);
    if (v === undefined) return kept;
    if (ok(v)) return v;
    ignored(key, q.get(key)!, `is not ${rule}`, keptText);
    return kept;
  };

  f.arch = choice('arch', ['residual', 'plain'] as const, f.arch);
  const family = choice('family', ['cifar', 'imagenet'] as const, f.family ?? 'cifar');
  f.family = family === 'imagenet' ? 'imagenet' : undefined;
  f.block = choice('block', ['basic', 'bottleneck'] as const, f.block);
  const depth = num('depth', f.depth);
  if (f.family === 'imagenet') {
    // Table 1's depths; the block follows from the depth.
    const d = depth ?? f.depth;
    const snapped = IMAGENET_FORM_DEPTHS.reduce((best, x) => (Math.abs(x - d) < Math.abs(best - d) ? x : best), 18);
    if (snapped !== d)
      notes.push(`depth ${shown(String(d))} is not one of Table 1's (${IMAGENET_FORM_DEPTHS.join(', ')}): using ${snapped}.`);
    f.depth = snapped;
    f.block = imagenetBlock(snapped);
    f.stem = choice('stem', ['imagenet', 'cifar'] as const, f.stem ?? 'imagenet') === 'cifar' ? 'cifar' : undefined;
    f.strideAt = choice('strideAt', ['3x3', '1x1'] as const, f.strideAt ?? '3x3') === '1x1' ? '1x1' : undefined;
    const size = Number(choice('size', ['32', '64', '96', '128', '224'] as const, String(f.imageSize ?? 32)));
    f.imageSize = size === 32 ? undefined : size;
  } else if (depth !== undefined) {
    f.depth = snapDepth(Math.round(depth), f.block);
    if (f.depth !== depth)
      notes.push(`depth ${shown(q.get('depth')!)} is not ${depthRule(f.block)} for ${f.block} blocks: using ${f.depth}.`);
  } else if (snapDepth(f.depth, f.block) !== f.depth) {
    const was = f.depth;
    f.depth = snapDepth(f.depth, f.block);
    notes.push(`depth ${was} does not fit ${f.block} blocks: using ${f.depth}.`);
  }
  f.width = whole('width', INT_RANGES.width, f.width);
  f.shortcut = choice('shortcut', ['A', 'B'] as const, f.shortcut);
  f.bn = flag('bn', f.bn);
  f.batch = whole('batch', INT_RANGES.batch, f.batch);
  f.lr = real('lr', (v) => v > 0, 'a positive number', f.lr);
  f.schedule = choice('schedule', ['step', 'cosine', 'constant'] as const, f.schedule);
  // The length is in steps or in epochs, whichever the link gives (steps when both); -1: not usable, keep the base's.
  const keptLength = `${f.length} ${f.lengthUnit}`;
  if (q.has('steps')) {
    const steps = whole('steps', [1, MAX_STEPS], -1, keptLength);
    if (steps > 0) [f.lengthUnit, f.length] = ['steps', steps];
  } else if (q.has('epochs')) {
    const epochs = real('epochs', (v) => v > 0 && v <= MAX_EPOCHS, `a number above 0 and at most ${MAX_EPOCHS}`, -1, keptLength);
    if (epochs > 0) [f.lengthUnit, f.length] = ['epochs', epochs];
  }
  f.seed = whole('seed', INT_RANGES.seed, f.seed);
  f.momentum = real('momentum', (v) => v >= 0 && v < 1, 'in [0, 1)', f.momentum);
  f.weightDecay = real('wd', (v) => v >= 0, 'a number >= 0', f.weightDecay);
  f.warmupSteps = whole('warmup', INT_RANGES.warmupSteps, f.warmupSteps);
  f.augment = flag('augment', f.augment);
  f.evalEvery = whole('evalEvery', INT_RANGES.evalEvery, f.evalEvery);
  f.evalImages = whole('evalImages', INT_RANGES.evalImages, f.evalImages);
  return { form: f, notes };
}

/** The query string (without '?') for `f`: the contract keys always, the others when not at their defaults. */
export function queryFromForm(f: FormConfig, base: FormConfig = PAPER_RECIPE): string {
  const q = new URLSearchParams();
  q.set('arch', f.arch);
  q.set('depth', String(f.depth));
  q.set('width', String(f.width));
  q.set('shortcut', f.shortcut);
  q.set('bn', f.bn ? '1' : '0');
  q.set('batch', String(f.batch));
  q.set('lr', String(f.lr));
  q.set(f.lengthUnit, String(f.length));
  q.set('seed', String(f.seed));
  if (f.family === 'imagenet') {
    q.set('family', 'imagenet');
    if (f.stem) q.set('stem', f.stem);
    if (f.strideAt) q.set('strideAt', f.strideAt);
    if (f.imageSize) q.set('size', String(f.imageSize));
  } else if (f.block !== base.block) q.set('block', f.block);
  if (f.schedule !== base.schedule) q.set('schedule', f.schedule);
  if (f.momentum !== base.momentum) q.set('momentum', String(f.momentum));
  if (f.weightDecay !== base.weightDecay) q.set('wd', String(f.weightDecay));
  if (f.warmupSteps !== base.warmupSteps) q.set('warmup', String(f.warmupSteps));
  if (f.augment !== base.augment) q.set('augment', f.augment ? '1' : '0');
  if (f.evalEvery !== base.evalEvery) q.set('evalEvery', String(f.evalEvery));
  if (f.evalImages !== base.evalImages) q.set('evalImages', String(f.evalImages));
  return q.toString();
}
