// The Runs panel: its header stays visible under the sticky run-controls bar while its rows show, and a checkpoint
// file that cannot be loaded leaves no run behind (not on screen, not in the browser's storage, not after a reload).
import { expect, test, type Page } from '@playwright/test';
import { openWithData, storedRuns, tinyUrl } from './helpers';

/** What a user sees of the Runs panel after scrolling the page to `y`: which rows show, and whether the header does. */
function lookAt(page: Page, y: number) {
  return page.evaluate((y) => {
    window.scrollTo(0, y);
    /** Whether the element is what the user sees (and clicks) at the centre of its box, not something above it. */
    const shows = (el: Element | null) => {
      if (!el) return false;
      const b = el.getBoundingClientRect();
      const cx = b.left + b.width / 2;
      const cy = b.top + b.height / 2;
      if (cy < 0 || cy > innerHeight) return false;
      const hit = document.elementFromPoint(cx, cy);
      return !!hit && (el === hit || el.contains(hit));
    };
    const bar = document.querySelector('.controls')!.getBoundingClientRect();
    const panel = document.querySelector('.runs-panel')!;
    const parts = [panel.querySelector('h2'), panel.querySelector('.panel-actions button'), panel.querySelector('.run-head')];
    const top = Math.min(...parts.map((p) => p!.getBoundingClientRect().top));
    return {
      scrollY,
      rowsShown: [...panel.querySelectorAll('[data-testid="run"]')].filter(shows).length,
      headerShown: parts.map(shows),
      /** How far the bar reaches over the header (0: not at all). */
      overlap: Math.max(0, bar.bottom - top),
    };
  }, y);
}

test('the run-controls bar never covers the Runs header while run rows show', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '1' }));
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run')).toHaveCount(3);
  let scrolledWithRows = 0;
  for (const y of [0, 40, 80, 120, 150, 200, 300]) {
    const seen = await lookAt(page, y);
    expect(seen.scrollY, 'the page is tall enough to scroll this far').toBe(y);
    if (seen.rowsShown === 0) continue;
    if (y >= 80) scrolledWithRows++;
    expect(seen.headerShown, `title, "Load checkpoint…" and column names visible at scroll ${y}`).toEqual([true, true, true]);
    expect(seen.overlap, `the bar over the header at scroll ${y}`).toBe(0);
  }
  // Without this the check above could pass by never seeing a row past the point where the bar used to cover the header.
  expect(scrolledWithRows).toBeGreaterThan(0);
  await page.evaluate(() => window.scrollTo(0, 120));
  await page.screenshot({ path: 'test-results/runs-panel-scrolled.png' });
});

/** A safetensors file whose header promises run settings and a tensor, cut off before the tensor's data ends. */
function truncatedCheckpoint(): Buffer {
  const runConfig = JSON.stringify({
    model: { arch: 'residual', depth: 8, width: 4 },
    batchSize: 8,
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 1e-4,
    schedule: 'constant',
    warmupSteps: 0,
    steps: 4,
    seed: 1,
    augment: true,
    valCount: 0,
    evalEvery: 0,
    evalImages: 16,
    evalBnModes: ['eval'],
  });
  const header = Buffer.from(
    JSON.stringify({
      __metadata__: { format: 'resnet-playground.run/1', runConfig, step: '2', epoch: '0', name: 'resnet-8' },
      'fc.bias': { dtype: 'F32', shape: [10], data_offsets: [0, 40] },
    }),
  );
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(12)]);
}

test('a damaged checkpoint file shows what is wrong and leaves no run, also after a reload', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 251));
  const files = [
    { name: 'garbage.safetensors', buffer: garbage, title: 'garbage' },
    { name: 'cut-short.safetensors', buffer: truncatedCheckpoint(), title: 'resnet-8' }, // named from its settings
  ];
  for (const f of files) {
    await page.getByLabel('Checkpoint file').setInputFiles({ name: f.name, mimeType: 'application/octet-stream', buffer: f.buffer });
    const alert = page.locator('[data-testid="alert"][data-code="bad-checkpoint"]', { hasText: `in ${f.title}` });
    await expect(alert).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('run')).toHaveCount(0);
  }
  await expect(page.getByText('No runs yet.')).toBeVisible();
  await page.waitForTimeout(2_500); // the store writes a changed run within a second
  expect(await storedRuns(page)).toEqual([]);
  await page.reload();
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  expect(await storedRuns(page)).toEqual([]);
  await expect(page.getByTestId('run')).toHaveCount(0);
  await expect(page.getByText('No runs yet.')).toBeVisible();
});
