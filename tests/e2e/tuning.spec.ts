// Kernel tuning in the real app (issue 20): the Kernel profile tab tunes the form's network on this GPU with a
// progress bar and Cancel, shows each layer's choice and candidate times, the header names the tuning, the result
// is kept for the adapter across a reload, the GPU report exports it, and ?tuning= forces a fixed profile.
import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tinyUrl } from './helpers';

async function openTuning(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  const lab = page.locator('.lab-panel');
  await lab.getByRole('tab', { name: 'Kernel profile' }).click();
  return lab.getByTestId('kernel-tuning');
}

test('tune the kernels for this GPU, cancel a second tuning, keep the first across a reload, export the GPU report', async ({ page }) => {
  const tuning = await openTuning(page, tinyUrl());
  // SwiftShader: the 'cpu' profile by the adapter's name, and tuning only when asked.
  await expect(page.getByTestId('engine-profile')).toContainText('cpu kernels');
  await expect(tuning.getByTestId('tuning-state')).toContainText("Fixed 'cpu' profile.");
  await expect(tuning.getByTestId('tuning-state')).toContainText('runs when you ask');

  await tuning.getByRole('button', { name: 'Tune kernels for ResNet-8 (w4) at batch 8' }).click();
  await expect(tuning.getByTestId('tuning-progress')).toBeVisible();
  await expect(tuning.getByRole('button', { name: 'Cancel tuning' })).toBeVisible();
  const summary = tuning.getByTestId('tuning-summary');
  await expect(summary).toContainText('ResNet-8 (w4), batch 8:', { timeout: 240_000 });
  await expect(tuning.getByTestId('tuning-progress')).toHaveCount(0);
  // Every tunable layer shape has a row: its chosen variant and every candidate's time, the fixed profiles marked.
  await tuning.getByTestId('tuning-layers').locator('summary').click();
  const rows = tuning.locator('.tune-table tbody tr');
  expect(await rows.count()).toBeGreaterThan(15);
  await expect(rows.first()).toContainText('[cpu]');
  await expect(rows.first()).toContainText('[gpu]');
  await expect(tuning.locator('.tune-cand.chosen').first()).toBeVisible();
  const text = (await summary.textContent()) ?? '';
  const kept = /Kept: the per-layer choices/.test(text) ? 'tuned' : "'cpu' profile";
  // Whole steps decided where some layer chose another variant; where none did, the summary says so.
  const changed = await tuning
    .locator('.tune-table tbody tr')
    .evaluateAll((trs) => trs.filter((tr) => !tr.querySelector('.tune-cand.chosen')?.textContent?.includes('[cpu]')).length);
  expect(text).toMatch(
    changed > 0
      ? /A whole training step: [\d.]+ ms with the per-layer choices, [\d.]+ ms with the '(cpu|gpu)' profile/
      : /The fastest variant of every layer is the one the 'cpu' profile runs \(within the margin\), so no whole steps were needed\./,
  );
  await expect(page.getByTestId('engine-profile')).toContainText(kept === 'tuned' ? 'tuned for this GPU' : 'cpu kernels');
  await tuning.screenshot({ path: join(test.info().project.outputDir, 'kernel-tuning.png') });

  // A second tuning, cancelled: the first result stays, in effect and on screen.
  await tuning.getByRole('button', { name: 'Tune again for ResNet-8 (w4) at batch 8' }).click();
  await expect(tuning.getByTestId('tuning-progress')).toBeVisible();
  await tuning.getByRole('button', { name: 'Cancel tuning' }).click();
  await expect(tuning.getByTestId('tuning-note')).toHaveText('Tuning cancelled: the kernels stay as they were.', { timeout: 60_000 });
  await expect(summary).toHaveText(text);

  // The GPU report: the adapter's words, limits, features, and the tuning with every candidate time.
  const [download] = await Promise.all([page.waitForEvent('download'), tuning.getByRole('button', { name: 'Export GPU report' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^gpu-report-.*\.json$/);
  const report = JSON.parse(await readFile(await download.path(), 'utf8')) as {
    gpu: { limits: Record<string, number>; features: string[]; description?: string };
    tuning: { results: { model: string; batch: number; layers: { candidates: { ms?: number }[] }[] }[] };
  };
  expect(report.gpu.limits.maxBufferSize).toBeGreaterThan(0);
  expect(Array.isArray(report.gpu.features)).toBe(true);
  expect(report.tuning.results.map((r) => [r.model, r.batch])).toEqual([['resnet8-w4', 8]]);
  expect(report.tuning.results[0].layers[0].candidates.some((c) => (c.ms ?? 0) > 0)).toBe(true);

  // Kept for this adapter: after a reload the same tuning is in effect with nothing re-timed.
  await page.reload();
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  await page.locator('.lab-panel').getByRole('tab', { name: 'Kernel profile' }).click();
  await expect(tuning.getByTestId('tuning-summary')).toHaveText(text);
  await expect(tuning.getByTestId('tuning-progress')).toHaveCount(0);
  await expect(page.getByTestId('engine-profile')).toContainText(kept === 'tuned' ? 'tuned for this GPU' : 'cpu kernels');
});

test('?tuning=gpu forces the fixed profile: no tuning is offered; a bad ?tuning= value is said and ignored', async ({ page }) => {
  const tuning = await openTuning(page, `${tinyUrl()}&tuning=gpu`);
  await expect(page.getByTestId('engine-profile')).toContainText('gpu kernels');
  await expect(tuning.getByTestId('tuning-state')).toContainText("the 'gpu' profile, forced by ?tuning=gpu");
  await expect(tuning.getByRole('button', { name: /^Tune kernels/ })).toBeDisabled();
  await expect(tuning).toContainText('The address forces a profile (?tuning=gpu): nothing is tuned.');

  await openTuning(page, `${tinyUrl()}&tuning=fast`);
  await expect(page.getByTestId('alert').filter({ hasText: '?tuning=fast' })).toContainText('not a tuning mode');
  await expect(page.getByTestId('engine-profile')).toContainText('cpu kernels');
});
