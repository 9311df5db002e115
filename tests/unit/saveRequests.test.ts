// Checkpoint requests matched to their answers by id (src/ui/lib/saveRequests.ts): a download is never taken for a
// 'keep' or the reverse, whatever order the answers come in, and a dropped answer does not block later requests.
import { expect, test } from 'vitest';
import { SaveRequests } from '../../src/ui/lib/saveRequests';

test('answers in any order go to their own request', () => {
  const s = new SaveRequests();
  const keep = s.ask('a', 'keep');
  const download = s.ask('a', 'download');
  expect(keep).not.toBe(download);
  expect(s.answer(download)).toBe('download');
  expect(s.answer(keep)).toBe('keep');
  expect(s.answer(keep)).toBeUndefined(); // answered once
});

test('a request whose answer never comes is dropped with its run: later requests are not taken for it', () => {
  const s = new SaveRequests();
  const lost = s.ask('a', 'keep');
  const other = s.ask('b', 'keep');
  expect(s.waiting('a', 'keep')).toBe(true);
  s.drop('a'); // rebuilt on a new device, or deleted
  expect(s.waiting('a', 'keep')).toBe(false);
  expect(s.waiting('b', 'keep')).toBe(true);
  const next = s.ask('a', 'download');
  expect(s.answer(lost)).toBeUndefined(); // a late answer of the old run is not ours any more
  expect(s.answer(next)).toBe('download');
  expect(s.answer(other)).toBe('keep');
});

test('drop() without a run forgets everything (a restarted worker)', () => {
  const s = new SaveRequests();
  const a = s.ask('a', 'keep');
  s.ask('b', 'download');
  s.drop();
  expect(s.waiting('a', 'keep') || s.waiting('b', 'download')).toBe(false);
  expect(s.answer(a)).toBeUndefined();
});
