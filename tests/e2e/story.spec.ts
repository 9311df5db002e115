// The story panels end to end (issue 12): a tiny depth sweep plots both families; a fine-tune run starts
// from a checkpoint on three classes. Tiny nets (width 4, batch 8, a few steps): SwiftShader is slow.
import { expect, test } from '@playwright/test';
import { openWithData, tinyUrl } from './helpers';

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
