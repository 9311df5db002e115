// Fine-tuning: a new run's state takes every tensor of the source whose name and shape it shares; the rest (the
// classifier head, when the class count differs) keeps the new run's fresh initialisation.
import type { Cifar10, Split } from '../data/cifar';
import type { StateTensor } from '../runtime/arenas';
import { TrainerError } from './errors';
import type { LabelledImages } from './protocol';

export interface Merged {
  /** What to write into the new network (a subset of its state). */
  state: Record<string, Float32Array>;
  loaded: string[];
  /** Tensors left as initialised: absent from the source, or of another shape there. */
  fresh: string[];
}

/** `target`: the new network's tensors; `source`: the source's values with their shapes. */
export function loadByName(
  target: readonly StateTensor[],
  source: Record<string, { shape: readonly number[]; data: Float32Array }>,
): Merged {
  const out: Merged = { state: {}, loaded: [], fresh: [] };
  for (const t of target) {
    const s = source[t.name];
    if (s && s.shape.length === t.shape.length && s.shape.every((d, i) => d === t.shape[i])) {
      out.state[t.name] = s.data;
      out.loaded.push(t.name);
    } else out.fresh.push(t.name);
  }
  return out;
}

/** The user's images resized: count x 3072 bytes (32x32, R, G, B planes, as a CIFAR record) and labels 0..k-1. */
export interface LabelledRecords {
  classNames: string[];
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Checks the native images of a fineTune command before they reach the GPU (the kernel's size limit included). */
export function checkImages(d: LabelledImages, maxPixels: number): void {
  if (d.images.length !== d.labels.length)
    throw new TrainerError('bad-data', `${d.images.length} images for ${d.labels.length} labels`, 'Pick the folder again.');
  d.images.forEach((im, i) => {
    if (
      !(Number.isInteger(im.width) && Number.isInteger(im.height) && im.width >= 1 && im.height >= 1) ||
      im.rgba.length !== im.width * im.height * 4
    )
      throw new TrainerError('bad-data', `image ${i}: ${im.rgba.length} bytes for ${im.width}x${im.height} RGBA`, 'Pick the folder again.');
    if (im.width * im.height > maxPixels)
      throw new TrainerError('bad-data', `image ${i} has ${im.width}x${im.height} pixels, over ${maxPixels}`, 'Use smaller images.');
  });
}

/** The user's images as a dataset: every fifth image of each class (at least one) is held out as the test split. */
export function imagesAsDataset(d: LabelledRecords): Cifar10 {
  const n = d.labels.length;
  if (d.pixels.length !== n * 3072)
    throw new TrainerError('bad-data', `${d.pixels.length} pixel bytes for ${n} images (32x32x3 = 3072 each).`, 'Pick the folder again.');
  const k = d.classNames.length;
  if (k < 2)
    throw new TrainerError(
      'bad-data',
      `the folder has ${k} class sub-folder(s)`,
      'Pick a folder with one sub-folder of images per class, two classes or more.',
    );
  const seen = new Array<number>(k).fill(0);
  const test: number[] = [];
  const train: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = d.labels[i];
    if (!(c < k)) throw new TrainerError('bad-data', `image ${i} has label ${c}, outside 0..${k - 1}`, 'Pick the folder again.');
    (seen[c]++ % 5 === 0 ? test : train).push(i);
  }
  if (train.length === 0)
    throw new TrainerError('bad-data', 'too few images to hold out a test set', 'Put at least two images in each class folder.');
  const split = (ids: number[]): Split => {
    const images = new Uint8Array(ids.length * 3072);
    ids.forEach((i, j) => images.set(d.pixels.subarray(i * 3072, (i + 1) * 3072), j * 3072));
    return { count: ids.length, images, labels: Uint8Array.from(ids, (i) => d.labels[i]) };
  };
  return { classNames: d.classNames, train: split(train), test: split(test) };
}
