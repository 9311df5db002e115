// The run form in the URL query, so a link opens the same configuration. Keys (the contract):
// arch, depth, width, shortcut, bn, batch, lr, epochs or steps, seed; and, when not at their defaults,
// block, schedule, momentum, wd, warmup, augment, evalEvery, evalImages.
import { PAPER_RECIPE, snapDepth, type FormConfig } from './formConfig';

const num = (s: string | null): number | undefined => {
  if (s === null || s.trim() === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
};
const bool = (s: string | null): boolean | undefined => (s === null ? undefined : ['1', 'true', 'on', 'yes'].includes(s.toLowerCase()) ? true : ['0', 'false', 'off', 'no'].includes(s.toLowerCase()) ? false : undefined);
const oneOf = <T extends string>(s: string | null, values: readonly T[]): T | undefined => values.find((v) => v.toLowerCase() === s?.toLowerCase());

/** The form described by `search`, starting from `base` for anything the query does not say. */
export function formFromQuery(search: string, base: FormConfig = PAPER_RECIPE): FormConfig {
  const q = new URLSearchParams(search);
  const f: FormConfig = { ...base };
  f.arch = oneOf(q.get('arch'), ['residual', 'plain'] as const) ?? f.arch;
  f.block = oneOf(q.get('block'), ['basic', 'bottleneck'] as const) ?? f.block;
  const depth = num(q.get('depth'));
  f.depth = snapDepth(depth !== undefined ? Math.round(depth) : f.depth, f.block);
  f.width = Math.round(num(q.get('width')) ?? f.width);
  f.shortcut = oneOf(q.get('shortcut'), ['A', 'B'] as const) ?? f.shortcut;
  f.bn = bool(q.get('bn')) ?? f.bn;
  f.batch = Math.round(num(q.get('batch')) ?? f.batch);
  f.lr = num(q.get('lr')) ?? f.lr;
  f.schedule = oneOf(q.get('schedule'), ['step', 'cosine', 'constant'] as const) ?? f.schedule;
  const steps = num(q.get('steps'));
  const epochs = num(q.get('epochs'));
  if (steps !== undefined) [f.lengthUnit, f.length] = ['steps', Math.round(steps)];
  else if (epochs !== undefined) [f.lengthUnit, f.length] = ['epochs', epochs];
  f.seed = Math.round(num(q.get('seed')) ?? f.seed);
  f.momentum = num(q.get('momentum')) ?? f.momentum;
  f.weightDecay = num(q.get('wd')) ?? f.weightDecay;
  f.warmupSteps = Math.round(num(q.get('warmup')) ?? f.warmupSteps);
  f.augment = bool(q.get('augment')) ?? f.augment;
  f.evalEvery = Math.round(num(q.get('evalEvery')) ?? f.evalEvery);
  f.evalImages = Math.round(num(q.get('evalImages')) ?? f.evalImages);
  return f;
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
  if (f.block !== base.block) q.set('block', f.block);
  if (f.schedule !== base.schedule) q.set('schedule', f.schedule);
  if (f.momentum !== base.momentum) q.set('momentum', String(f.momentum));
  if (f.weightDecay !== base.weightDecay) q.set('wd', String(f.weightDecay));
  if (f.warmupSteps !== base.warmupSteps) q.set('warmup', String(f.warmupSteps));
  if (f.augment !== base.augment) q.set('augment', f.augment ? '1' : '0');
  if (f.evalEvery !== base.evalEvery) q.set('evalEvery', String(f.evalEvery));
  if (f.evalImages !== base.evalImages) q.set('evalImages', String(f.evalImages));
  return q.toString();
}
