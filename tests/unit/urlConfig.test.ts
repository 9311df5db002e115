// A run configuration from a link: absurd values are clamped or ignored, each with a note the app shows in an
// alert, and whatever the link says, the form that comes out can be trained (formProblems finds nothing).
import { describe, expect, test } from 'vitest';
import { MAX_STEPS, PAPER_RECIPE, QUICK_LOOK, formProblems, fromRunConfig, toRunConfig, withFamily } from '../../src/ui/lib/formConfig';
import { queryFromForm, readFormQuery } from '../../src/ui/lib/urlConfig';

const read = (query: string) => readFormQuery(query, PAPER_RECIPE);

describe('readFormQuery', () => {
  test('a good link is taken as written, without notes, and round-trips', () => {
    const query =
      'arch=plain&depth=32&width=8&shortcut=B&bn=0&batch=64&lr=0.05&epochs=2.5&seed=7&schedule=cosine&momentum=0.8&wd=0&warmup=10&augment=0&evalEvery=100&evalImages=500';
    const { form, notes } = read(query);
    expect(notes).toEqual([]);
    expect(form).toMatchObject({
      arch: 'plain',
      depth: 32,
      width: 8,
      shortcut: 'B',
      bn: false,
      batch: 64,
      lr: 0.05,
      lengthUnit: 'epochs',
      length: 2.5,
      seed: 7,
    });
    expect(read(queryFromForm(form)).form).toEqual(form);
    expect(read('').form).toEqual(PAPER_RECIPE);
  });

  test.each([
    ['depth=-5', { depth: 8 }, 'depth "-5" is not 6n+2 from 8 to 110, or 1202 for basic blocks: using 8.'],
    ['depth=21', { depth: 20 }, 'depth "21" is not 6n+2 from 8 to 110, or 1202 for basic blocks: using 20.'],
    ['depth=1e9', { depth: 1202 }, 'depth "1e9" is not 6n+2 from 8 to 110, or 1202 for basic blocks: using 1202.'],
    ['block=bottleneck&depth=20', { depth: 20, block: 'bottleneck' }, undefined],
    ['block=bottleneck&depth=1000', { depth: 164 }, 'depth "1000" is not 9n+2 from 11 to 164 for bottleneck blocks: using 164.'],
    ['depth=abc', { depth: 20 }, 'depth "abc" is not a number: kept 20.'],
    ['lr=NaN', { lr: 0.1 }, 'lr "NaN" is not a number: kept 0.1.'],
    ['lr=Infinity', { lr: 0.1 }, 'lr "Infinity" is not a number: kept 0.1.'],
    ['lr=-1', { lr: 0.1 }, 'lr "-1" is not a positive number: kept 0.1.'],
    ['lr=0', { lr: 0.1 }, 'lr "0" is not a positive number: kept 0.1.'],
    ['batch=1e12', { batch: 4096 }, 'batch "1e12" is not a whole number from 1 to 4096: using 4096.'],
    ['batch=0', { batch: 1 }, 'batch "0" is not a whole number from 1 to 4096: using 1.'],
    ['batch=31.6', { batch: 32 }, 'batch "31.6" is not a whole number from 1 to 4096: using 32.'],
    ['batch=', { batch: 128 }, 'batch "" is not a number: kept 128.'],
    ['arch=transformer', { arch: 'residual' }, 'arch "transformer" is not one of residual, plain: kept residual.'],
    ['block=dense', { block: 'basic' }, 'block "dense" is not one of basic, bottleneck: kept basic.'],
    ['shortcut=C', { shortcut: 'A' }, 'shortcut "C" is not one of A, B: kept A.'],
    ['schedule=linear', { schedule: 'step' }, 'schedule "linear" is not one of step, cosine, constant: kept step.'],
    ['bn=maybe', { bn: true }, 'bn "maybe" is not 1 or 0: kept 1.'],
    ['width=-3', { width: 1 }, 'width "-3" is not a whole number from 1 to 256: using 1.'],
    ['width=100000', { width: 256 }, 'width "100000" is not a whole number from 1 to 256: using 256.'],
    ['seed=-1', { seed: 0 }, 'seed "-1" is not a whole number from 0 to 4294967295: using 0.'],
    ['seed=1e20', { seed: 4294967295 }, 'seed "1e20" is not a whole number from 0 to 4294967295: using 4294967295.'],
    ['steps=1e12', { lengthUnit: 'steps', length: MAX_STEPS }, 'steps "1e12" is not a whole number from 1 to 10000000: using 10000000.'],
    ['steps=-4', { lengthUnit: 'steps', length: 1 }, 'steps "-4" is not a whole number from 1 to 10000000: using 1.'],
    ['steps=lots', { lengthUnit: 'steps', length: 64000 }, 'steps "lots" is not a number: kept 64000 steps.'],
    ['epochs=0', { lengthUnit: 'steps', length: 64000 }, 'epochs "0" is not a number above 0 and at most 10000: kept 64000 steps.'],
    ['epochs=1e9', { lengthUnit: 'steps', length: 64000 }, 'epochs "1e9" is not a number above 0 and at most 10000: kept 64000 steps.'],
    ['momentum=5', { momentum: 0.9 }, 'momentum "5" is not in [0, 1): kept 0.9.'],
    ['wd=-1', { weightDecay: 1e-4 }, 'wd "-1" is not a number >= 0: kept 0.0001.'],
    ['warmup=-10', { warmupSteps: 0 }, 'warmup "-10" is not a whole number from 0 to 10000000: using 0.'],
    ['evalEvery=0.5', { evalEvery: 1 }, 'evalEvery "0.5" is not a whole number from 0 to 10000000: using 1.'],
    ['evalImages=1e6', { evalImages: 10_000 }, 'evalImages "1e6" is not a whole number from 0 to 10000: using 10000.'],
  ])('%s', (query, want, note) => {
    const { form, notes } = read(query);
    expect(form).toMatchObject(want);
    expect(notes).toEqual(note === undefined ? [] : [note]);
    expect(formProblems(form)).toEqual([]);
  });

  test('a block from the link that the kept depth does not fit: the nearest depth, noted', () => {
    expect(readFormQuery('block=bottleneck', QUICK_LOOK)).toEqual({
      form: { ...QUICK_LOOK, block: 'bottleneck', depth: 11 },
      notes: ['depth 8 does not fit bottleneck blocks: using 11.'],
    });
  });

  test('a long garbage value is cut in its note', () => {
    const { notes } = read(`arch=${'x'.repeat(5000)}`);
    expect(notes[0]).toBe(`arch "${'x'.repeat(40)}..." is not one of residual, plain: kept residual.`);
  });

  test('every value absurd at once: one note each, and a form that can be trained', () => {
    const query =
      'arch=%00&depth=-1e300&width=NaN&shortcut=&bn=2&batch=1e12&lr=-0&steps=1e308&seed=-1e12&schedule=x&momentum=1&wd=Infinity&warmup=1e12&augment=x&evalEvery=-1&evalImages=-1&block=x';
    const { form, notes } = read(query);
    expect(notes).toHaveLength(17);
    expect(formProblems(form)).toEqual([]);
  });
});

describe('the ImageNet family in the form', () => {
  test('a link with family=imagenet: Table 1 depths (the block follows), the stem and stride kept, round-trips', () => {
    const { form, notes } = read('arch=residual&family=imagenet&depth=50&width=8&stem=cifar&strideAt=1x1&batch=4&steps=2');
    expect(notes).toEqual([]);
    expect(form).toMatchObject({ family: 'imagenet', depth: 50, block: 'bottleneck', width: 8, stem: 'cifar', strideAt: '1x1' });
    expect(read(queryFromForm(form)).form).toEqual(form);
    expect(toRunConfig(form).model).toEqual({
      arch: 'residual',
      depth: 50,
      width: 8,
      shortcut: 'A',
      batchNorm: true,
      family: 'imagenet',
      classes: 10,
      stem: 'cifar',
      strideAt: '1x1',
    });
    expect(fromRunConfig(toRunConfig(form))).toEqual(form);
    expect(formProblems(form)).toEqual([]);
    // A depth Table 1 lacks: the nearest of its depths, said.
    const odd = read('family=imagenet&depth=20');
    expect(odd.form).toMatchObject({ depth: 18, block: 'basic' });
    expect(odd.notes).toEqual(['depth "20" is not one of Table 1\'s (18, 34, 50, 101, 152): using 18.']);
  });

  test('switching family: to ResNet-18 with projections, and back to a CIFAR depth', () => {
    const toImageNet = { ...PAPER_RECIPE, ...withFamily(PAPER_RECIPE, 'imagenet') };
    expect(toImageNet).toMatchObject({ family: 'imagenet', depth: 18, block: 'basic', shortcut: 'B' });
    expect(formProblems(toImageNet)).toEqual([]);
    const back = { ...toImageNet, depth: 152, block: 'bottleneck' as const, ...withFamily({ ...toImageNet, depth: 152 }, 'cifar') };
    expect(back.family).toBeUndefined();
    expect(formProblems(back)).toEqual([]);
    expect(formProblems({ ...toImageNet, depth: 20 })).toEqual(["Depth must be one of Table 1's: 18, 34, 50, 101, 152."]);
  });
});

describe('formProblems', () => {
  test.each([
    [{ depth: 116 }, 'Depth must be 6n+2 from 8 to 110, or 1202 for basic blocks.'],
    [{ depth: 21 }, 'Depth must be 6n+2 from 8 to 110, or 1202 for basic blocks.'],
    [{ block: 'bottleneck' as const, depth: 173 }, 'Depth must be 9n+2 from 11 to 164 for bottleneck blocks.'],
    [{ batch: 1e12 }, 'Batch size must be a whole number from 1 to 4096.'],
    [{ lr: NaN }, 'Learning rate must be a positive number.'],
    [{ length: MAX_STEPS + 1 }, 'The number of steps must be positive, at most 10000000.'],
    [{ length: 2.5 }, 'Steps must be a whole number.'],
    [{ lengthUnit: 'epochs' as const, length: NaN }, 'The number of epochs must be positive, at most 10000.'],
    [{ seed: 2 ** 32 }, 'Seed must be a whole number from 0 to 4294967295.'],
    [{ weightDecay: Infinity }, 'Weight decay must be a number >= 0.'],
    [{ evalImages: 10_001 }, '"Test images" must be a whole number from 0 to 10000 (0 = all).'],
  ])('%o is refused', (patch, message) => {
    expect(formProblems({ ...PAPER_RECIPE, ...patch })).toEqual([message]);
  });

  test('the presets pass', () => {
    expect(formProblems(PAPER_RECIPE)).toEqual([]);
    expect(formProblems(QUICK_LOOK)).toEqual([]);
  });
});
