// Nothing lost: a page reloaded while a run trains offers "Resume", and the run goes on from its last
// auto-checkpoint (not from step 0) to the end, its curve whole; the Storage section shows what the app keeps in
// the browser and clears it. (`?autosave=N` checkpoints every N steps instead of 200, so a tiny run has some.)
import { readFile } from 'node:fs/promises';
import { expect } from '@playwright/test';
import { badge, exportAtState, openWithData, runRow, stepOf, storedRuns, test, tinyUrl, waitForStep } from './helpers';

const STEPS = 80;

test('a reload mid-run offers Resume; the run goes on from its checkpoint and finishes', async ({ page }) => {
  // 80 steps: the mock worker takes 300 ms a step, past its suite's 60 s default on a busy machine.
  test.setTimeout(Math.max(test.info().timeout, 180_000));
  await openWithData(page, tinyUrl({ steps: String(STEPS), autosave: '10' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const row = runRow(page, 'resnet-8');
  await expect(row).toHaveAttribute('data-checkpoint-step', /^[1-9]\d*$/, { timeout: 300_000 });
  await expect(badge(page, 'resnet-8')).toHaveText('training');
  // Resume is offered for a run stored as training: reload once the stored record says so.
  await expect
    .poll(async () => (await storedRuns(page)).find((r) => r.name === 'resnet-8')?.lastState, { timeout: 60_000 })
    .toBe('training');
  await page.reload();

  // Back as curves, with a Resume button that names the step of its checkpoint.
  await expect(row).toHaveCount(1);
  await expect(badge(page, 'resnet-8')).toHaveText('saved');
  const checkpoint = Number(await row.getAttribute('data-checkpoint-step'));
  expect(checkpoint).toBeGreaterThan(0);
  expect(checkpoint).toBeLessThan(STEPS);
  const resume = row.getByRole('button', { name: `Resume resnet-8 from step ${checkpoint}` });
  // Said on the row before the click: where it goes on from, and which steps are trained again.
  const shown = await stepOf(page, 'resnet-8');
  await expect(row.getByTestId('run-note')).toHaveText(
    checkpoint >= shown
      ? `Train on from its checkpoint at step ${checkpoint}: nothing is trained again.`
      : `Checkpoint at step ${checkpoint}; steps ${checkpoint + 1}-${shown} will be trained again (the same batches, so the same losses).`,
  );
  // Disabled until the data is back. Read in one look at the page: the cached copy may be back already (under load
  // the checks above can take longer than loading it), and then the button is rightly enabled.
  const now = await row.evaluate((el, name) => {
    const b = [...el.querySelectorAll('button')].find((x) => x.getAttribute('aria-label') === name);
    return { disabled: !!b?.disabled, loaded: !!document.querySelector('.data-status')?.textContent?.includes('CIFAR-10 loaded') };
  }, `Resume resnet-8 from step ${checkpoint}`);
  expect(now.disabled || now.loaded, JSON.stringify(now)).toBe(true);
  // The data comes back from the browser cache (the mock worker keeps none: then from the server copy).
  const status = page.locator('.data-status');
  await expect(status).not.toContainText('Looking for a cached copy', { timeout: 60_000 });
  if (!(await status.textContent())?.includes('CIFAR-10 loaded')) await page.getByRole('button', { name: 'Load server copy' }).click();
  await expect(resume).toBeEnabled({ timeout: 180_000 });
  const atDone = exportAtState(page, 'resnet-8', 'done');
  await resume.click();

  // The step counter goes on from the checkpoint: it is never seen below it, and the run finishes.
  const seen: number[] = [];
  await expect
    .poll(
      async () => {
        seen.push(await stepOf(page, 'resnet-8'));
        return badge(page, 'resnet-8').textContent();
      },
      { timeout: 300_000, intervals: [100] },
    )
    .toBe('done');
  expect(Math.min(...seen)).toBeGreaterThanOrEqual(checkpoint);
  await expect(row.getByTestId('run-step')).toHaveText(String(STEPS));
  // Whole at the instant it said "done": every step once, and the final evaluation.
  const done = await atDone;
  expect(done.shownStep).toBe(STEPS);
  expect(done.metrics.map((m) => m.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
  expect(done.evaluations.map((e) => e.step)).toContain(STEPS);

  // One point per step, none twice: the steps after the checkpoint were trained again, not appended.
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export metrics of resnet-8 as CSV' }).click(),
  ]);
  const steps = (await readFile(await csv.path(), 'utf8'))
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('train,'))
    .map((l) => Number(l.split(',')[1]));
  expect(steps).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
});

test('a compare pair reloaded mid-run comes back with one "Resume pair", and both twins go on with whole curves', async ({ page }) => {
  test.setTimeout(Math.max(test.info().timeout, 400_000));
  // Long runs, stopped by the test: how fast they step (a few seconds for 40 steps here, minutes under load) decides nothing.
  await openWithData(page, tinyUrl({ steps: '5000', autosave: '5' }));
  await page.getByRole('button', { name: 'Compare plain vs residual' }).click();
  const twins = ['resnet-8', 'plain-8'];
  for (const n of twins) await expect(runRow(page, n)).toHaveAttribute('data-checkpoint-step', /^[1-9]\d*$/, { timeout: 300_000 });
  await expect
    .poll(async () => (await storedRuns(page)).filter((r) => twins.includes(r.name) && r.lastState === 'training').length, {
      timeout: 60_000,
    })
    .toBe(2);
  await page.reload();

  // One button per row, and either resumes both; the row says from which step, together.
  const [res, plain] = twins.map((n) => runRow(page, n));
  const both = res.getByRole('button', { name: 'Resume resnet-8 and plain-8 together' });
  await expect(both).toHaveText('Resume pair');
  await expect(plain.getByRole('button', { name: 'Resume plain-8 and resnet-8 together' })).toBeVisible();
  const from = Math.max(...(await Promise.all([res, plain].map(async (r) => Number(await r.getAttribute('data-checkpoint-step'))))));
  await expect(res.getByTestId('run-note')).toHaveText(new RegExp(`^Resumes with plain-8, in step, from step ${from}\\b`));
  await expect(both).toBeEnabled({ timeout: 120_000 }); // once the data is loaded
  await both.click();
  await expect(page.getByRole('button', { name: /together$/ })).toHaveCount(0);
  // Both train on past the step they came back from; then the test stops them.
  for (const n of twins) await waitForStep(page, n, from + 5);
  await page.getByRole('button', { name: 'Stop', exact: true }).click(); // the controls act on the pair
  for (const n of twins) await expect(badge(page, n)).toHaveText('stopped', { timeout: 120_000 });

  // Each twin's curve is whole: steps 1, 2, 3, ... once each, past the checkpoint.
  for (const n of twins) {
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: `Export metrics of ${n} as CSV` }).click(),
    ]);
    const got = (await readFile(await csv.path(), 'utf8'))
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('train,'))
      .map((l) => Number(l.split(',')[1]));
    expect(got.length, n).toBeGreaterThan(from + 5);
    expect(got, n).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
  }
});

test('a run reloaded before its first checkpoint says why it cannot be resumed', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '400' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => stepOf(page, 'resnet-8'), { timeout: 120_000 }).toBeGreaterThan(0);
  const row = runRow(page, 'resnet-8');
  // The page stores a changed run within a second or so (later under load): reload once its steps are stored.
  await expect
    .poll(async () => (await storedRuns(page)).find((r) => r.name === 'resnet-8')?.step ?? 0, { timeout: 60_000 })
    .toBeGreaterThan(0);
  expect(await row.getAttribute('data-checkpoint-step')).toBeNull();
  await page.reload();
  await expect(badge(page, 'resnet-8')).toHaveText('saved');
  await expect(row.getByRole('button', { name: /^Resume/ })).toHaveCount(0);
  await expect(row.getByTestId('run-note')).toHaveText(/^No checkpoint of this run is kept .* so it cannot be resumed; its curves stay\.$/);
});

test('the Storage section shows what the app keeps, and its buttons clear it', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '3' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });

  const storage = page.getByRole('region', { name: 'Storage' });
  await expect(storage.getByTestId('storage-dataset')).toHaveText(/^[1-9][\d.]* MiB$/, { timeout: 120_000 });
  await expect(storage.getByTestId('storage-checkpoints')).toHaveText(/^1 checkpoint · [\d.]+ (B|KiB)$/);
  await expect(storage.getByTestId('storage-runs')).toHaveText(/^1 run · /);
  await expect(storage.getByTestId('storage-usage')).toHaveText(/^[\d.]+ (B|KiB|MiB|GiB) of [\d.]+ (MiB|GiB) allowed$/);

  page.once('dialog', (d) => void d.accept());
  await storage.getByRole('button', { name: 'Delete checkpoints' }).click();
  await expect(storage.getByTestId('storage-checkpoints')).toHaveText('none');
  await expect(page.getByRole('button', { name: 'Save weights of resnet-8' })).toBeEnabled(); // still live: the worker has it

  await storage.getByRole('button', { name: 'Clear cached dataset' }).click();
  await expect(storage.getByTestId('storage-dataset')).toHaveText('none');
  // Gone from the browser: after a reload there is no cached copy to load.
  await page.reload();
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  await expect(page.locator('.data-status')).toContainText('CIFAR-10 is not loaded yet', { timeout: 60_000 });
  await expect(page.getByRole('region', { name: 'Storage' }).getByTestId('storage-checkpoints')).toHaveText('none');
});
