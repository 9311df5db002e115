// The playground end to end, per issue 4: data loading, training, pause/resume, plain vs residual,
// BatchNorm mode, the config in the URL (absurd values in it too), runs kept across reloads, a corrupt data file,
// metric export, and the page shown without WebGPU. Tiny configs: SwiftShader takes seconds per step.
import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { badge, openWithData, requireData, runRow, stepOf, storedRuns, tinyUrl, waitForStep } from './helpers';

test('loads CIFAR-10 from the server copy with progress and a summary', async ({ page }) => {
  await requireData(page);
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  await expect(page.locator('.data-status')).toContainText('not loaded', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Load server copy' }).click();
  await expect(page.getByRole('progressbar', { name: 'Data loading progress' })).toBeVisible();
  const status = page.locator('.data-status');
  await expect(status).toContainText('CIFAR-10 loaded', { timeout: 180_000 });
  const counts = page.locator('.data-counts');
  await expect(counts).toContainText('10,000 train');
  await expect(counts).toContainText('10,000 test');
  await expect(page.getByLabel('Sample training images').locator('canvas')).toHaveCount(16);
  await expect(page.locator('.data-summary')).toContainText('airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck');
});

test('a server without a copy of CIFAR-10: no "Load server copy", and words that say what to do instead', async ({ page }) => {
  await page.route('**/data/cifar10.tar.gz', (r) => r.fulfill({ status: 404, body: 'Not Found' }));
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  await expect(page.getByTestId('no-server-copy')).toHaveText(
    'This server has no copy of CIFAR-10: pick the file below (cifar-10-binary.tar.gz), or run npm run fetch-data and restart the server.',
  );
  await expect(page.getByRole('button', { name: 'Load server copy' })).toHaveCount(0);
});

test('trains a run: the step counter and the loss curve advance', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '150', evalEvery: '50' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const row = runRow(page, 'resnet-8');
  await expect(row).toHaveCount(1);
  await waitForStep(page, 'resnet-8', 2);
  const first = await stepOf(page, 'resnet-8');
  await expect(row.getByTestId('run-loss')).toHaveText(/^\d+\.\d{3}$/);
  const loss = page.getByRole('figure', { name: 'Training loss chart' });
  await expect(loss.locator('.recharts-line path.recharts-curve').first()).toBeVisible();
  await waitForStep(page, 'resnet-8', first + 1);
  // The worker reports per-layer norms about twice a second while training: the norms chart draws the run's line.
  await expect(
    page.getByRole('figure', { name: 'Gradient norm per layer chart' }).locator('.recharts-line path.recharts-curve').first(),
  ).toBeVisible();
  // The main screen mid-training, as a test artifact: test-results/playground-training.png.
  await waitForStep(page, 'resnet-8', 25);
  await expect(badge(page, 'resnet-8')).toHaveText('training');
  await page.screenshot({ path: join(test.info().project.outputDir, 'playground-training.png') });
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  await expect(row.getByTestId('run-step')).toHaveText('150');
  // What the user reads: a test accuracy that is a percentage in [0, 100] (not "NaN%"), and a run that learnt:
  // the last 30 steps' mean loss below the first 10 steps' (same seed, same adapter: the same numbers every time).
  await expect(row.getByTestId('run-test-acc')).toHaveText(/^\d+(\.\d+)?%$/, { timeout: 2_000 }); // there at 'done'
  const acc = Number((await row.getByTestId('run-test-acc').textContent())!.replace('%', ''));
  expect(acc).toBeGreaterThanOrEqual(0);
  expect(acc).toBeLessThanOrEqual(100);
  const [json] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export metrics of resnet-8 as JSON' }).click(),
  ]);
  const losses = (JSON.parse(await readFile(await json.path(), 'utf8')) as { metrics: { trainLoss: number }[] }).metrics.map(
    (m) => m.trainLoss,
  );
  expect(losses).toHaveLength(150);
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(mean(losses.slice(-30))).toBeLessThan(mean(losses.slice(0, 10)));
});

// Pause, resume and stop: tests/e2e/lifecycle.spec.ts (also under load).

test('compare after training the residual net pairs it with a new plain twin, not a copy of itself', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '2' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  await page.getByRole('button', { name: 'Compare plain vs residual' }).click();
  await expect(badge(page, 'plain-8')).toHaveText('done', { timeout: 300_000 });
  // Two runs, the trained one and its twin: no "resnet-8 #2" with the same curve.
  await expect(page.getByTestId('run')).toHaveCount(2);
  await expect(page.getByTestId('compare-verdict')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Plain vs residual' })).toContainText('plain-8');
});

test('compare plain vs residual trains two named, overlaid series', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '3' }));
  await page.getByRole('button', { name: 'Compare plain vs residual' }).click();
  await expect(runRow(page, 'resnet-8')).toHaveCount(1);
  await expect(runRow(page, 'plain-8')).toHaveCount(1);
  await waitForStep(page, 'resnet-8', 2);
  await waitForStep(page, 'plain-8', 2);
  const legend = page.getByLabel('Runs in the charts');
  await expect(legend.locator('[data-series="resnet-8"]')).toBeVisible();
  await expect(legend.locator('[data-series="plain-8"]')).toBeVisible();
  // Raw and smoothed loss of each twin on the same axes.
  const lines = page.getByRole('figure', { name: 'Training loss chart' }).locator('.recharts-line');
  await expect(lines).toHaveCount(4);
  // Two different runs draw two different curves (raw and smoothed for each: four distinct paths).
  await waitForStep(page, 'resnet-8', 3);
  await waitForStep(page, 'plain-8', 3);
  const paths = await lines.locator('path.recharts-curve').evaluateAll((ps) => ps.map((p) => p.getAttribute('d')));
  expect(paths).toHaveLength(4);
  expect(new Set(paths).size).toBe(4);
  await expect(page.getByTestId('compare-gap')).toHaveText(/pts$/);
  // The legend chooses what is drawn: one twin out, then back.
  await legend.locator('[data-series="plain-8"]').click();
  await expect(legend.locator('[data-series="plain-8"]')).toHaveAttribute('aria-pressed', 'false');
  await expect(lines).toHaveCount(2);
  await legend.locator('[data-series="plain-8"]').click();
  await expect(lines).toHaveCount(4);
  await expect(page.getByTestId('compare-readout')).toContainText('plain-8');
  await expect(page.getByTestId('compare-readout')).toContainText('resnet-8');
});

test('the BatchNorm mode switch shows both accuracies', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '2' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  const mode = page.getByRole('radiogroup', { name: 'BatchNorm mode' });
  await mode.getByRole('radio', { name: 'Train' }).check();
  await expect(page.getByTestId('bn-acc-train')).toContainText('%', { timeout: 120_000 });
  await expect(page.getByTestId('bn-acc-eval')).toContainText('%', { timeout: 120_000 });
  await mode.getByRole('radio', { name: 'Eval' }).check();
  await expect(mode.getByRole('radio', { name: 'Eval' })).toBeChecked();
  await expect(page.getByTestId('bn-acc-train')).toContainText('step 2');
  await expect(page.getByTestId('bn-acc-eval')).toContainText('step 2');
});

test('the URL round-trips the config', async ({ page }) => {
  await page.goto('/?arch=plain&depth=14&width=8&shortcut=B&bn=0&batch=16&lr=0.02&steps=50&seed=7');
  await expect(page.getByRole('radiogroup', { name: 'Architecture' }).getByRole('radio', { name: 'Plain' })).toBeChecked();
  await expect(page.getByLabel('Depth', { exact: true })).toHaveValue('14');
  await expect(page.getByLabel('Width', { exact: true })).toHaveValue('8');
  await expect(page.getByLabel('Seed', { exact: true })).toHaveValue('7');
  await expect(page.getByLabel('Batch size', { exact: true })).toHaveValue('16');
  await expect(page.getByLabel('Learning rate', { exact: true })).toHaveValue('0.02');
  await expect(page.getByRole('radiogroup', { name: 'Batch normalisation' }).getByRole('radio', { name: 'Off' })).toBeChecked();

  await page.getByRole('radiogroup', { name: 'Architecture' }).getByRole('radio', { name: 'Residual' }).check();
  await page.getByLabel('Depth', { exact: true }).selectOption('20');
  await page.getByLabel('Seed', { exact: true }).fill('9');
  await expect(page).toHaveURL(/arch=residual/);
  const q = new URL(page.url()).searchParams;
  expect(Object.fromEntries(q)).toMatchObject({
    arch: 'residual',
    depth: '20',
    width: '8',
    shortcut: 'B',
    bn: '0',
    batch: '16',
    lr: '0.02',
    steps: '50',
    seed: '9',
  });

  await page.reload();
  await expect(page.getByRole('radiogroup', { name: 'Architecture' }).getByRole('radio', { name: 'Residual' })).toBeChecked();
  await expect(page.getByLabel('Depth', { exact: true })).toHaveValue('20');
  await expect(page.getByLabel('Seed', { exact: true })).toHaveValue('9');
  await expect(page.getByRole('radiogroup', { name: 'Shortcut' }).getByRole('radio', { name: 'B' })).toBeChecked();
});

test('a link with absurd values opens a form that can train, and says what it changed', async ({ page }) => {
  await page.goto('/?arch=transformer&depth=-5&lr=NaN&batch=1e12&steps=4');
  const alert = page.getByTestId('alert').filter({ hasText: 'could not be used as written' });
  await expect(alert).toContainText('Configuration problem');
  await expect(alert).toContainText('arch "transformer" is not one of residual, plain: kept residual.');
  await expect(alert).toContainText('depth "-5" is not 6n+2 from 8 to 110, or 1202 for basic blocks: using 8.');
  await expect(alert).toContainText('lr "NaN" is not a number: kept 0.1.');
  await expect(alert).toContainText('batch "1e12" is not a whole number from 1 to 4096: using 4096.');
  await expect(page.getByLabel('Depth', { exact: true })).toHaveValue('8');
  await expect(page.getByLabel('Batch size', { exact: true })).toHaveValue('4096');
  // The address now shows the values in use.
  await expect(page).toHaveURL(/depth=8&.*batch=4096&lr=0\.1&steps=4/);
});

test('a reload keeps the runs', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '2' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  const loss = await runRow(page, 'resnet-8').getByTestId('run-loss').textContent();
  // The store writes a changed run within a second of the change; wait until the finished run is written.
  await expect
    .poll(() => storedRuns(page), { timeout: 30_000 })
    .toContainEqual(expect.objectContaining({ name: 'resnet-8', step: 2, lastState: 'done' }));
  await page.reload();
  const row = runRow(page, 'resnet-8');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('run-step')).toHaveText('2');
  await expect(row.getByTestId('run-loss')).toHaveText(loss!);
  await expect(page.getByRole('figure', { name: 'Training loss chart' }).locator('.recharts-line')).toHaveCount(2);
});

test('a run is renamed in the stats bar: its row, files and checkpoint follow, a taken name is refused, a reload keeps it', async ({
  page,
}) => {
  await openWithData(page, tinyUrl({ steps: '2' }));
  for (let i = 0; i < 2; i++) await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.locator('[data-testid="run"] .badge')).toHaveText(['done', 'done'], { timeout: 300_000 });
  // Short default names: the second is "resnet-8 #2", not a list of settings.
  await expect(runRow(page, 'resnet-8 #2')).toHaveCount(1);
  const field = page.getByRole('textbox', { name: /^Run/ });
  await expect(field).toHaveValue('resnet-8 #2');
  await field.fill('  baseline   again ');
  await field.press('Enter');
  await expect(runRow(page, 'baseline again')).toHaveCount(1);
  await expect(runRow(page, 'resnet-8 #2')).toHaveCount(0);
  // Another run's name: said why, nothing changes, Escape goes back.
  await field.fill('resnet-8');
  await field.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'Another run is called “resnet-8”' })).toBeVisible();
  await expect(runRow(page, 'baseline again')).toHaveCount(1);
  await field.press('Escape');
  await expect(field).toHaveValue('baseline again');
  // The exported metrics and the worker's checkpoint carry the new name.
  const [json] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export metrics of baseline again as JSON' }).click(),
  ]);
  expect(json.suggestedFilename()).toBe('baseline_again-metrics.json');
  expect(JSON.parse(await readFile(await json.path(), 'utf8')).name).toBe('baseline again');
  const [weights] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save weights of baseline again' }).click(),
  ]);
  // Written by the worker (the run is live): its file name and metadata use the name it was sent.
  expect(weights.suggestedFilename()).toBe('baseline_again-step2.safetensors');
  const bytes = await readFile(await weights.path());
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  expect(header.__metadata__.name).toBe('baseline again');
  await expect
    .poll(async () => (await storedRuns(page)).map((r) => r.name).sort(), { timeout: 30_000 })
    .toEqual(['baseline again', 'resnet-8']);
  await page.reload();
  await expect(runRow(page, 'baseline again')).toHaveCount(1);
});

test('a corrupt data file shows its error, and the app still trains afterwards', async ({ page }) => {
  await requireData(page);
  await page.goto(tinyUrl({ steps: '2' }));
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 251));
  await page
    .getByLabel('CIFAR-10 archive file')
    .setInputFiles({ name: 'cifar-10-binary.tar.gz', mimeType: 'application/gzip', buffer: garbage });
  const error = page.locator('.data-panel .inline-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('cifar-10-binary.tar.gz');
  await page.getByRole('button', { name: 'Load server copy' }).click();
  await expect(page.locator('.data-status')).toContainText('CIFAR-10 loaded', { timeout: 180_000 });
  await expect(error).toBeHidden();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  await expect(runRow(page, 'resnet-8').getByTestId('run-step')).toHaveText('2');
});

test("export metrics downloads a file with the run's points", async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '3' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  // "done" comes after the final evaluation: the test accuracy is there at once.
  await expect(runRow(page, 'resnet-8').getByTestId('run-test-acc')).toHaveText(/%$/, { timeout: 2_000 });

  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export metrics of resnet-8 as CSV' }).click(),
  ]);
  expect(csv.suggestedFilename()).toBe('resnet-8-metrics.csv');
  const lines = (await readFile(await csv.path(), 'utf8')).trim().split('\n');
  expect(lines[0]).toMatch(/^kind,step,epoch,lr,train_loss/);
  const train = lines.filter((l) => l.startsWith('train,'));
  expect(train.map((l) => Number(l.split(',')[1]))).toEqual([1, 2, 3]);
  expect(lines.some((l) => l.startsWith('eval,3,'))).toBe(true);

  const [json] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export metrics of resnet-8 as JSON' }).click(),
  ]);
  const parsed = JSON.parse(await readFile(await json.path(), 'utf8'));
  expect(parsed.name).toBe('resnet-8');
  expect(parsed.metrics).toHaveLength(3);
  expect(parsed.config.model).toMatchObject({ arch: 'residual', depth: 8, width: 4 });

  const [py] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export resnet-8 as PyTorch script' }).click(),
  ]);
  expect(py.suggestedFilename()).toBe('resnet_8.py');
  const script = await readFile(await py.path(), 'utf8');
  const config = JSON.parse(/RUN_CONFIG = json\.loads\(r'''(.*)'''\)/.exec(script)![1]);
  expect(config).toEqual(parsed.config);
  expect(script).toContain('def build_model(');
});

test('without WebGPU the page explains how to turn it on', async ({ page }) => {
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'ResNet Playground needs WebGPU' })).toBeVisible();
  await expect(page.getByText('chrome://flags')).toBeVisible();
});
