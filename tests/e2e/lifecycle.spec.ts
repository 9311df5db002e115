// A run is whole at the moment it says so (DESIGN.md, "A run's lifecycle"): the instant a badge turns "paused",
// "stopped" or "done", an export taken in that same instant (a MutationObserver clicks the export button as the
// badge changes) holds every training point up to the step shown and, at "done", the final evaluation; no point
// arrives after "paused" or "stopped". scripts/test.mjs runs this spec (and resume.spec.ts) a second time with
// every core busy (E2E_LOAD=1, tests/e2e/load.ts), where the old order of events broke.
import { expect } from '@playwright/test';
import { badge, exportAtState, openWithData, runRow, stepOf, test, tinyUrl, waitForStep, type Exported } from './helpers';

const steps = (e: Exported) => e.metrics.map((m) => m.step);
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test('pause and stop: at the instant the badge changes, the export holds every point up to the step shown, and none comes after', async ({
  page,
}) => {
  // A run far too long to finish during the test.
  await openWithData(page, tinyUrl({ steps: '1000000' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForStep(page, 'resnet-8', 3);
  const pausedAt = exportAtState(page, 'resnet-8', 'paused');
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const paused = await pausedAt;
  expect(paused.shownStep).toBeGreaterThanOrEqual(3);
  expect(steps(paused)).toEqual(upTo(paused.shownStep));
  // Nothing arrives once it says paused: the step and the curve stay as they were.
  await page.waitForTimeout(5_000);
  expect(await stepOf(page, 'resnet-8')).toBe(paused.shownStep);

  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('training');
  await waitForStep(page, 'resnet-8', paused.shownStep + 2);
  const stoppedAt = exportAtState(page, 'resnet-8', 'stopped');
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  const stopped = await stoppedAt;
  expect(steps(stopped)).toEqual(upTo(stopped.shownStep));
  const lossAtStop = await runRow(page, 'resnet-8').getByTestId('run-loss').textContent();
  await page.waitForTimeout(5_000);
  expect(await stepOf(page, 'resnet-8')).toBe(stopped.shownStep);
  await expect(runRow(page, 'resnet-8').getByTestId('run-loss')).toHaveText(lossAtStop!);
});

test('twins with evaluations every 4 steps: at the instant each says "done", its export has 12 points and evaluations at 4, 8 and 12', async ({
  page,
}) => {
  await openWithData(page, tinyUrl({ steps: '12', evalEvery: '4' }));
  const done = ['resnet-8', 'plain-8'].map((name) => exportAtState(page, name, 'done'));
  await page.getByRole('button', { name: 'Compare plain vs residual' }).click();
  for (const d of done) {
    const e = await d;
    expect(e.shownStep).toBe(12);
    expect(steps(e)).toEqual(upTo(12));
    const evals = e.evaluations.map((v) => `${v.step}:${v.bnMode}`);
    expect(new Set(evals).size, `no evaluation twice: ${evals.join(' ')}`).toBe(evals.length);
    expect([...new Set(e.evaluations.map((v) => v.step))]).toEqual([4, 8, 12]);
  }
  // What the row shows at "done": the final test accuracy, already there.
  for (const name of ['resnet-8', 'plain-8'])
    expect(await runRow(page, name).getByTestId('run-test-acc').textContent()).toMatch(/^\d+(\.\d+)?%$/);
});
