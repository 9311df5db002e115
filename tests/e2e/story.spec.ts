// The story panels end to end (issue 12): a tiny depth sweep plots both families; a fine-tune run starts
// from a checkpoint on three classes. Tiny nets (width 4, batch 8, a few steps): SwiftShader is slow.
import { expect, test } from '@playwright/test';
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
  // Both families' test and train lines are drawn (2 depths each), besides the reference shape.
  await expect.poll(() => chart.locator('.recharts-line path.recharts-curve').count()).toBeGreaterThanOrEqual(5);
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
  await page.getByRole('button', { name: 'Learn' }).click();
  const tour = page.getByRole('dialog', { name: 'Learn' });
  await expect(tour.getByRole('heading', { level: 2 })).toHaveText('A residual block adds its input back');
  await expect(tour.getByRole('img', { name: /Residual basic block/ })).toBeVisible();
  for (let i = 0; i < 5; i++) await tour.getByRole('button', { name: 'Next' }).click();
  await expect(tour.getByRole('heading', { level: 2 })).toHaveText('Bottlenecks make deep nets cheaper');
  await tour.getByRole('button', { name: 'Run it' }).click();
  await expect(page.locator('#cfg-depth')).toHaveValue('164');
  await expect(page.getByTestId('weights-bottleneck')).toHaveText('69,632');
  await expect(page.getByTestId('weights-basic')).toHaveText('1,179,648');
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
  await expect(plan).toContainText(/Time cost: \d+% more forward multiply-adds/);
});
