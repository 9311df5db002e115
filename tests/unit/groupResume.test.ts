// One Resume for a compare pair (src/ui/lib/groupResume.ts): the twins, loaded from checkpoints a few steps apart,
// go on from the same step, together.
import { expect, test } from 'vitest';
import { GroupResumes } from '../../src/ui/lib/groupResume';

test('twins loaded at steps 44 and 41: plain takes 3 steps alone, then both resume at 44', () => {
  const g = new GroupResumes();
  g.start(['res', 'plain']);
  expect(g.has('res')).toBe(true);
  expect(g.onState('res', 'building', 0)).toEqual([]);
  expect(g.onState('res', 'paused', 44)).toEqual([]); // the other is not loaded yet
  expect(g.onState('plain', 'building', 0)).toEqual([]);
  expect(g.onState('plain', 'paused', 41)).toEqual([{ type: 'step', runId: 'plain', count: 3 }]);
  expect(g.onState('res', 'paused', 44), 'asked once').toEqual([]);
  expect(g.onState('plain', 'training', 41)).toEqual([]);
  expect(g.onState('plain', 'paused', 44)).toEqual([
    { type: 'resume', runId: 'res', with: ['plain'] }, // one command: the worker starts both in one task
  ]);
  expect(g.has('res')).toBe(false);
  expect(g.onState('res', 'paused', 44), 'done with').toEqual([]);
});

test('at the same step both resume at once; a member that fails to load leaves the other to go on alone', () => {
  const g = new GroupResumes();
  g.start(['a', 'b']);
  g.onState('a', 'paused', 10);
  expect(g.onState('b', 'paused', 10)).toEqual([{ type: 'resume', runId: 'a', with: ['b'] }]);
  g.start(['c', 'd']);
  g.onState('c', 'paused', 7);
  expect(g.onState('d', 'error', 0)).toEqual([{ type: 'resume', runId: 'c' }]);
  expect(g.has('c')).toBe(false);
});

test('states reported before the group was started (the run as it was) do not count', () => {
  const g = new GroupResumes();
  g.onState('a', 'paused', 3);
  g.start(['a', 'b']);
  expect(g.onState('b', 'paused', 5)).toEqual([]); // a has not reported since its load began
  expect(g.onState('a', 'paused', 5)).toEqual([{ type: 'resume', runId: 'a', with: ['b'] }]);
});
