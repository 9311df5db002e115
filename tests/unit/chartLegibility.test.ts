// Charts a person can read (issue 22): one loss spike does not flatten every curve, and no two runs share a colour.
import { expect, test } from 'vitest';
import { lossAxisTop } from '../../src/ui/lib/chartData';
import { runColor } from '../../src/ui/lib/palette';

test('the loss axis stops above the bulk of the points, not at a spike, and never below a curve’s last value', () => {
  const raw = Array.from({ length: 200 }, (_, i) => 2.3 - i / 200);
  const spiked = [...raw.slice(0, 100), 8, ...raw.slice(100)];
  const top = lossAxisTop([{ raw: spiked, last: 1.4 }])!;
  expect(top).toBeGreaterThan(2.3);
  expect(top).toBeLessThan(3);
  expect(lossAxisTop([{ raw: [1, 1, 1], last: 5 }])).toBe(5);
  expect(lossAxisTop([{ raw: [], last: NaN }])).toBeUndefined();
});

test('forty runs, forty colours', () => {
  const colours = Array.from({ length: 40 }, (_, i) => runColor(i));
  expect(new Set(colours).size).toBe(40);
});
