// The checks of a RunConfig's training numbers, shared by run creation and checkpoint loading (a checkpoint's
// stored settings are checked before anything is built from them).
import { resolveConfig } from '../model/config';
import type { RunConfig } from './protocol';
import { RunConfigError } from './errors';

/** Checks a RunConfig's numbers (the model is checked by resolveConfig: ConfigError); throws RunConfigError. */
export function checkRunConfig(c: RunConfig): void {
  resolveConfig(c.model);
  const bad = (what: string) => {
    throw new RunConfigError(what);
  };
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1 || c.batchSize > 4096)
    bad(`batch size must be an integer in 1..4096, not ${c.batchSize}`);
  if (!(c.lr >= 0 && Number.isFinite(c.lr))) bad(`learning rate must be a finite number >= 0, not ${c.lr}`);
  if (!(c.momentum >= 0 && c.momentum < 1)) bad(`momentum must be in [0, 1), not ${c.momentum}`);
  if (!(c.weightDecay >= 0 && Number.isFinite(c.weightDecay))) bad(`weight decay must be >= 0, not ${c.weightDecay}`);
  if (!['step', 'cosine', 'constant'].includes(c.schedule)) bad(`schedule must be 'step', 'cosine' or 'constant', not '${c.schedule}'`);
  if (!Number.isInteger(c.warmupSteps) || c.warmupSteps < 0) bad(`warm-up steps must be an integer >= 0, not ${c.warmupSteps}`);
  if (c.steps !== undefined && !(Number.isInteger(c.steps) && c.steps >= 0)) bad(`steps must be a whole number, not ${c.steps}`);
  if (c.epochs !== undefined && !(c.epochs >= 0 && Number.isFinite(c.epochs))) bad(`epochs must be a number >= 0, not ${c.epochs}`);
  if (!Number.isInteger(c.seed)) bad(`seed must be an integer, not ${c.seed}`);
  if (!Number.isInteger(c.valCount) || c.valCount < 0) bad(`validation images must be a whole number, not ${c.valCount}`);
  if (!Number.isInteger(c.evalEvery) || c.evalEvery < 0) bad(`evaluate-every must be a whole number of steps, not ${c.evalEvery}`);
  if (!Number.isInteger(c.evalImages) || c.evalImages < 0) bad(`evaluation images must be a whole number, not ${c.evalImages}`);
  if (c.trainImages !== undefined && !(Number.isInteger(c.trainImages) && c.trainImages >= c.batchSize))
    bad(`training images must be a whole number of at least one batch (${c.batchSize}), not ${c.trainImages}`);
  if (c.classes !== undefined) {
    const k = c.classes.length;
    if (k < 2 || new Set(c.classes).size !== k || !c.classes.every((x) => Number.isInteger(x) && x >= 0 && x < 10))
      bad(`classes must be 2 or more different CIFAR-10 class ids (0..9), not [${c.classes}]`);
    if ((c.model.classes ?? 10) !== k)
      bad(`a run on ${k} classes needs a ${k}-way classifier (model.classes = ${k}), not ${c.model.classes ?? 10}`);
  }
  if (c.imageSize !== undefined && !(Number.isInteger(c.imageSize) && c.imageSize >= 32 && c.imageSize <= 512))
    bad(`input size must be a whole number of pixels in 32..512 (the 32x32 images are enlarged to it), not ${c.imageSize}`);
  if (c.fineTune !== undefined && c.fineTune.train !== 'head' && c.fineTune.train !== 'all')
    bad(`fine-tuning trains 'head' or 'all', not '${String(c.fineTune.train)}'`);
  if (c.recompute !== undefined && c.recompute !== 'auto' && !(Number.isInteger(c.recompute) && c.recompute >= 0))
    bad(`recompute must be 'auto' or a whole number of blocks, not ${c.recompute}`);
}
