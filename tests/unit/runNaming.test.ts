// Run names (src/ui/lib/runNaming.ts): short by default (issue 22: "resnet-8 30 steps eval/30 #5"), and a name the
// user types is checked before it is taken.
import { describe, expect, test } from 'vitest';
import { PAPER_RECIPE, type FormConfig } from '../../src/ui/lib/formConfig';
import { checkRunName, MAX_NAME, nameRun } from '../../src/ui/lib/runNaming';

const f = (over: Partial<FormConfig> = {}): FormConfig => ({ ...PAPER_RECIPE, depth: 8, ...over });

describe('nameRun', () => {
  test('the first run of a depth is its base name; its plain twin the plain one', () => {
    expect(nameRun(f(), [])).toBe('resnet-8');
    expect(nameRun(f({ arch: 'plain' }), [{ name: 'resnet-8', form: f() }])).toBe('plain-8');
  });

  test('one distinguishing field at most, however many differ', () => {
    const others = [{ name: 'resnet-8', form: f() }];
    expect(nameRun(f({ lr: 0.02, length: 30, evalEvery: 30 }), others)).toBe('resnet-8 lr=0.02');
    expect(nameRun(f({ length: 30, lengthUnit: 'steps', evalEvery: 30 }), others)).toBe('resnet-8 30 steps');
  });

  test('a counter where that name is taken', () => {
    const others = [
      { name: 'resnet-8', form: f() },
      { name: 'resnet-8 lr=0.02', form: f({ lr: 0.02 }) },
    ];
    expect(nameRun(f({ lr: 0.02 }), others)).toBe('resnet-8 lr=0.02 #2');
    // a second default run differs from the lr=0.02 one in its lr, and that name is free
    expect(nameRun(f(), others)).toBe(`resnet-8 lr=${PAPER_RECIPE.lr}`);
    expect(nameRun(f(), [{ name: 'resnet-8', form: f() }])).toBe('resnet-8 #2');
  });
});

describe('checkRunName', () => {
  const runs = [
    { id: 'a', name: 'resnet-8' },
    { id: 'b', name: 'plain-8' },
  ];
  test('trims and collapses spaces', () => expect(checkRunName('  my   run ', 'a', runs)).toEqual({ name: 'my run' }));
  test('keeping its own name is fine', () => expect(checkRunName('resnet-8', 'a', runs)).toEqual({ name: 'resnet-8' }));
  test('empty, too long or another run’s name is refused, saying why', () => {
    expect(checkRunName('   ', 'a', runs)).toEqual({ problem: 'A run needs a name.' });
    expect(checkRunName('x'.repeat(MAX_NAME + 1), 'a', runs)).toEqual({
      problem: `At most ${MAX_NAME} characters (this is ${MAX_NAME + 1}).`,
    });
    expect(checkRunName('plain-8', 'a', runs)).toMatchObject({ problem: expect.stringContaining('Another run is called “plain-8”') });
  });
});
