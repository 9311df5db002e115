// The Runs panel: its header stays visible under the sticky run-controls bar while its rows show.
import { expect, test, type Page } from '@playwright/test';
import { openWithData, tinyUrl } from './helpers';

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
