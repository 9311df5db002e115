// The story panels end to end (issue 12): a tiny depth sweep plots both families; a fine-tune run starts
// from a checkpoint on three classes. Tiny nets (width 4, batch 8, a few steps): SwiftShader is slow.
import { expect, test } from '@playwright/test';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { badge, openWithData, runRow, tinyUrl, waitForStep } from './helpers';

test('a tiny depth sweep (depths 8 and 14) completes and plots both families', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '3', evalImages: '16' }));
  const panel = page.getByRole('region', { name: 'Depth sweep' });
  await panel.getByLabel('Sweep depths').fill('8, 14');
  await panel.getByRole('button', { name: 'Start sweep' }).click();
  const entries = panel.getByTestId('sweep-entry');
  await expect(entries).toHaveCount(4);
  await expect(panel.locator('[data-testid="sweep-entry"][data-status="done"]')).toHaveCount(4, { timeout: 300_000 });
  for (const row of await entries.all()) await expect(row.locator('td').nth(3)).toHaveText(/%$/);
  const chart = panel.getByRole('figure', { name: 'Error against depth chart' });
  await expect(chart.getByText('ResNet test', { exact: true })).toBeVisible();
  await expect(chart.getByText('plain test', { exact: true })).toBeVisible();
  // Both families' test and train lines are drawn (2 depths each), and nothing the app did not measure.
  await expect.poll(() => chart.locator('.recharts-line path.recharts-curve').count()).toBeGreaterThanOrEqual(4);
  await expect(chart.getByText(/shape only|Fig\. 6/)).toHaveCount(0);
  // What the user's sweep found, from its own numbers: both families, with a standard error.
  const findings = panel.getByTestId('sweep-findings');
  await expect(findings).toContainText(/plain-14 vs plain-8: training error [\d.]+% vs [\d.]+% \([+−][\d.]+ ± [\d.]+ pts, /);
  await expect(findings).toContainText(/resnet-14 vs resnet-8: training error /);
  // The sweep is kept across a reload.
  await page.reload();
  await expect(page.getByRole('region', { name: 'Depth sweep' }).locator('[data-testid="sweep-entry"][data-status="done"]')).toHaveCount(4);
});

test('a fine-tune run starts from a checkpoint on three classes, beside its from-scratch twin', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '3', evalImages: '16' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  await page.getByLabel('Training images', { exact: true }).selectOption('500');
  await expect(page.getByRole('checkbox', { name: 'airplane' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'bird' })).toBeChecked();
  await page.getByRole('button', { name: 'Fine-tune from checkpoint' }).click();
  await waitForStep(page, 'resnet-8 fine-tune head 3 classes', 1);
  await waitForStep(page, 'resnet-8 scratch 3 classes', 1);
  await expect(badge(page, 'resnet-8 fine-tune head 3 classes')).toHaveText('done', { timeout: 300_000 });
  await expect(runRow(page, 'resnet-8 fine-tune head 3 classes').getByTestId('run-test-acc')).toHaveText(/%$/, { timeout: 120_000 });
});

test('Learn: one card per claim; "Run it" sets up the experiment', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Paper recipe (ResNet-20)' }).click(); // the changes below are from the paper's recipe
  await page.getByRole('button', { name: 'Learn' }).click();
  const tour = page.getByRole('dialog', { name: 'Learn' });
  await expect(tour.getByRole('heading', { level: 2 })).toHaveText('A residual block adds its input back');
  await expect(tour.getByRole('img', { name: /Residual basic block/ })).toBeVisible();
  for (let i = 0; i < 5; i++) await tour.getByRole('button', { name: 'Next' }).click();
  await expect(tour.getByRole('heading', { level: 2 })).toHaveText('Bottlenecks make deep nets cheaper');
  await tour.getByRole('button', { name: 'Run it' }).click();
  // Asked first: nothing starts, and which settings of the form it replaces.
  const confirm = tour.getByTestId('learn-confirm');
  await expect(confirm.getByTestId('learn-estimate')).toHaveText('Set up ResNet-164: nothing starts training yet.');
  await expect(confirm.getByTestId('learn-changes')).toContainText(
    'It replaces these settings of your form: depth 20 → 164, shortcut A → B, block basic → bottleneck',
  );
  await expect(page.locator('#cfg-depth')).toHaveValue('20');
  await confirm.getByRole('button', { name: 'Set up' }).click();
  await expect(page.locator('#cfg-depth')).toHaveValue('164');
  await expect(page.getByTestId('weights-bottleneck')).toHaveText('69,632');
  await expect(page.getByTestId('weights-basic')).toHaveText('1,179,648');
});

test('Learn: "Run it" says how long its runs take here, asks before replacing the form, and shows they run', async ({ page }) => {
  // A first visit: the Learn twins, not the paper's 64,000 steps; the page measures this device's speed at once.
  await page.goto('/');
  const estimate = page.getByTestId('form-estimate');
  await expect(estimate).toHaveText(
    /^This run: 300 steps, about [\d.]+ (s|min) here \([\d.]+·10\^\d+ multiply-adds, at the speed a short test measured: (one step|\d+ steps) of ResNet-20, width 8 at batch 32\)\.$/,
    { timeout: 120_000 },
  );
  await expect(page.locator('#cfg-depth')).toHaveValue('20');
  await expect(page.locator('#cfg-width')).toHaveValue('8');
  // The paper's recipe takes far longer here: the twins sized for this device are offered, one click away.
  await page.getByRole('button', { name: 'Paper recipe (ResNet-20)' }).click();
  await expect(estimate).toHaveText(/^This run: 64,000 steps, about [\d.]+ (h|days) here \(/);
  const fit = page.getByTestId('device-fit');
  await expect(fit).toHaveText(
    /^Sized for this device: ResNet-20 and its plain twin at width 8, [\d,]+ steps each, about [\d.]+ (s|min) here for the pair\. Use it then “Compare plain vs residual”\.$/,
  );
  const steps = /width 8, ([\d,]+) steps each/.exec((await fit.textContent())!)![1];
  await fit.getByRole('button', { name: 'Use it' }).click();
  await expect(page.locator('#cfg-length')).toHaveValue(steps.replace(/,/g, ''));
  await expect(fit).toHaveCount(0);

  await openWithData(page, tinyUrl({ steps: '6' }));
  await page.getByRole('button', { name: 'Learn' }).click();
  const tour = page.getByRole('dialog', { name: 'Learn' });
  await tour.getByRole('button', { name: 'Next' }).click();
  await tour.getByRole('button', { name: 'Run it' }).click();
  // A link with settings does not measure the device by itself: the work is said, and how to learn the time.
  await expect(tour.getByTestId('learn-estimate')).toHaveText(
    /^Train a small net: one run, [\d.]+·10\^\d+ multiply-adds; this device's speed is not measured yet \(a first run's images\/s shows it, or “Measure speed”\)\.$/,
  );
  await page.getByRole('button', { name: 'Measure speed' }).click();
  await expect(tour.getByTestId('learn-estimate')).toHaveText(
    /^Train a small net: one run, about [\d.]+ (s|min) here \(.*, at the speed a short test measured: .*\)\.$/,
    { timeout: 120_000 },
  );
  await expect(page.getByRole('button', { name: 'Measure speed' })).toHaveCount(0);
  await expect(tour.getByTestId('learn-changes')).toContainText('width 4 → 8, batch 8 → 32');
  await tour.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('run')).toHaveCount(0);
  // A run measures it; then its speed is the one used.
  await tour.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  await page.getByRole('button', { name: 'Learn' }).click();
  await tour.getByRole('button', { name: 'Next' }).click();
  await tour.getByRole('button', { name: 'Run it' }).click();
  await expect(tour.getByTestId('learn-estimate')).toHaveText(
    /^Train a small net: one run, about [\d.]+ (s|min|h|days) here \(.* at the speed resnet-8 measured\)\.$/,
  );
  await tour.getByRole('button', { name: 'Start' }).click();
  await expect(tour.getByTestId('learn-running')).toBeVisible();
  await expect(page.getByTestId('run')).toHaveCount(2);
});

test('the depth sweep cannot start before the data is loaded, and says so', async ({ page }) => {
  await page.route('**/data/cifar10.tar.gz', (r) => r.fulfill({ status: 404, body: 'Not Found' }));
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  const start = page.getByRole('button', { name: 'Start sweep' });
  await expect(start).toBeDisabled();
  await expect(start).toHaveAttribute('title', 'Load the data first (Data panel)');
});

test('the memory meter plans the configured net with and without recomputation before training', async ({ page }) => {
  await page.goto(tinyUrl());
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  const panel = page.getByRole('region', { name: 'More than 1000 layers' });
  await panel.getByRole('button', { name: 'Use ResNet-1202' }).click();
  await expect(page.locator('#cfg-depth')).toHaveValue('1202');
  const plan = panel.getByTestId('memory-plan');
  await expect(plan).toContainText('resnet-1202 at batch 128', { timeout: 120_000 });
  await expect(plan.getByRole('meter', { name: 'Without recomputation' })).toBeVisible();
  await expect(plan.getByRole('meter', { name: /With recomputation \(every 24 blocks\)/ })).toBeVisible();
  await expect(plan).toContainText(/Compute cost, counted in multiply-adds \(not timed\): \d+% more forward multiply-adds/);
});

/** A 24-bit BMP (bottom-up rows padded to 4 bytes): a format Chromium decodes, written without any library. */
function bmp(w: number, h: number, seed: number): Buffer {
  const row = Math.ceil((w * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + row * h);
  buf.write('BM', 0);
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(w, 18);
  buf.writeInt32LE(h, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) buf.fill((x * 5 + y * 3 + seed * 40) % 256, 54 + y * row + x * 3, 54 + y * row + x * 3 + 3);
  return buf;
}

test('fine-tune on the user’s own image folders (one sub-folder per class)', async ({ page }) => {
  const root = await mkdtemp(join(tmpdir(), 'pets-'));
  for (const [c, cls] of ['cat', 'dog'].entries()) {
    await mkdir(join(root, 'pets', cls), { recursive: true });
    for (let i = 0; i < 6; i++) await writeFile(join(root, 'pets', cls, `${i}.bmp`), bmp(40 + i, 30, c * 3 + i));
  }
  await openWithData(page, tinyUrl({ steps: '3', evalImages: '16' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  await page.locator('#ft-folder').setInputFiles(join(root, 'pets'));
  await expect(page.getByTestId('folder-summary')).toContainText('12 images in 2 classes (cat, dog)');
  await page.getByRole('button', { name: 'Fine-tune from checkpoint' }).click();
  await expect(badge(page, 'resnet-8 fine-tune head 2 folders')).toHaveText('done', { timeout: 300_000 });
  await expect(badge(page, 'resnet-8 scratch 2 folders')).toHaveText('done', { timeout: 300_000 });
  await expect(runRow(page, 'resnet-8 fine-tune head 2 folders').getByTestId('run-test-acc')).toHaveText(/%$/, { timeout: 120_000 });
});

test('Table 1 is drawn from the definition: ResNet-34 by default, ResNet-50 as torchvision counts it, the plain twin', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Table 1: the ImageNet networks' });
  const table = panel.getByTestId('table1');
  await expect(table.getByTestId('table1-conv1')).toContainText('112×112');
  await expect(table.getByTestId('table1-conv1')).toContainText('7×7, 64, stride 2');
  await expect(table.getByTestId('table1-conv2_x')).toContainText('3×3 max pool, stride 2');
  await expect(table.getByTestId('table1-conv2_x')).toContainText('[3×3, 64; 3×3, 64] × 3');
  await expect(table.getByTestId('table1-conv5_x')).toContainText('7×7');
  await expect(panel.getByTestId('table1-params')).toHaveText('21,797,672');
  await expect(panel.getByTestId('table1-macs')).toHaveText('3.66·10⁹');
  await panel.getByRole('radio', { name: '50' }).check({ force: true });
  await expect(table.getByTestId('table1-conv4_x')).toContainText('[1×1, 256, stride 2; 3×3, 256; 1×1, 1024] × 6');
  await expect(panel.getByTestId('table1-params')).toHaveText('25,557,032');
  await expect(panel.getByTestId('table1-macs')).toHaveText('3.86·10⁹');
  await panel.getByRole('radio', { name: 'on the 3×3 (torchvision)' }).check({ force: true });
  await expect(table.getByTestId('table1-conv4_x')).toContainText('[1×1, 256; 3×3, 256, stride 2; 1×1, 1024] × 6');
  await expect(panel.getByTestId('table1-macs')).toHaveText('4.09·10⁹');
  await panel.getByRole('radio', { name: 'Plain' }).check({ force: true });
  await expect(panel.getByTestId('table1-params')).toHaveText('22,780,456'); // without the four projections
  await expect(table.getByTestId('table1-conv2_x')).not.toContainText('projection');
});

test('the ImageNet family in the form: ResNet-18 (width 4) and bottleneck ResNet-50 (width 2, CIFAR stem) train to done', async ({
  page,
}) => {
  await openWithData(page, tinyUrl({ family: 'imagenet', depth: '18', shortcut: 'B', steps: '2' }));
  const form = page.getByRole('region', { name: 'Configure a run' });
  await expect(form.getByRole('radio', { name: 'ImageNet nets (Table 1)' })).toBeChecked();
  await expect(page.locator('#cfg-depth option')).toHaveText(['18', '34', '50', '101', '152']);
  await expect(form.getByRole('radio', { name: '7×7 + max pool' })).toBeChecked();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-18')).toHaveText('done', { timeout: 300_000 });
  // Depth 50 brings bottlenecks (the stride option comes alive); the CIFAR stem keeps 32x32 maps in stage 1.
  await page.locator('#cfg-depth').selectOption('50');
  await page.locator('#cfg-width').fill('2');
  await form.getByRole('radio', { name: '3×3', exact: true }).check({ force: true });
  await expect(form.getByRole('radio', { name: 'on the 1×1' })).toBeEnabled();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-50')).toHaveText('done', { timeout: 300_000 });
  await expect(runRow(page, 'resnet-50').getByTestId('run-loss')).toHaveText(/^\d+\.\d{3}$/);
});

test('transfer from torchvision: a seeded torchvision ResNet-18 state dict loads and fine-tunes its head on three classes at 64x64', async ({
  page,
}) => {
  // torchvision writes the file itself (scripts/torchvision_weights.py: a bare state dict, the stand-in for
  // pretrained weights); CI installs python3-torchvision, elsewhere its absence skips with the reason.
  const python = ['/usr/bin/python3', 'python3'].find(
    (py) => spawnSync(py, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0,
  );
  if (!python && process.env.CI) throw new Error('CI run: no python3 with torchvision (apt-get install python3-torchvision)');
  test.skip(!python, 'no python3 with torchvision (Debian: apt-get install python3-torchvision)');
  const file = join(await mkdtemp(join(tmpdir(), 'tv-')), 'torchvision-resnet18.safetensors');
  const made = spawnSync(python!, ['scripts/torchvision_weights.py', 'export', 'resnet18', file, '--seed', '5'], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);

  await openWithData(page, tinyUrl({ steps: '2', evalImages: '16' }));
  await page.getByLabel('Checkpoint file').setInputFiles(file);
  // Named after the file; its network read off the tensors: ResNet-18 of the ImageNet family, 1000 classes.
  await expect(badge(page, 'torchvision-resnet18')).toHaveText('paused', { timeout: 120_000 });
  await expect(page.locator('#ft-source')).toHaveValue(/.+/);
  await expect(page.locator('#ft-source option:checked')).toHaveText('torchvision-resnet18 (step 0)');
  // At 64x64 inputs, as an ImageNet net expects larger images: the 32x32 batches are enlarged on the GPU.
  await page.locator('#ft-input-size').selectOption('64');
  await page.getByRole('button', { name: 'Fine-tune from checkpoint' }).click();
  await expect(badge(page, 'torchvision-resnet18 fine-tune head 3 classes 64px')).toHaveText('done', { timeout: 400_000 });
  await expect(badge(page, 'torchvision-resnet18 scratch 3 classes 64px')).toHaveText('done', { timeout: 400_000 });
  await expect(runRow(page, 'torchvision-resnet18 fine-tune head 3 classes 64px').getByTestId('run-test-acc')).toHaveText(/%$/, {
    timeout: 120_000,
  });
  // Head only: BatchNorm is frozen, so the BN panel says both modes measure the same network.
  await page.getByRole('button', { name: 'Select run torchvision-resnet18 fine-tune head 3 classes 64px' }).click();
  await expect(page.getByTestId('bn-frozen')).toContainText('BatchNorm layers are frozen');
  await page.getByRole('button', { name: 'Select run torchvision-resnet18 scratch 3 classes 64px' }).click();
  await expect(page.getByTestId('bn-frozen')).toHaveCount(0);
});
