// Every percentage on the page says what it is a percentage of (issue 22: "20.8%" beside an "Error (%)" chart was an
// accuracy; "79.2% whole" an error): the text around each one names accuracy or error, or another quantity.
import { expect } from '@playwright/test';
import { badge, openWithData, test, tinyUrl } from './helpers';

test('each percentage on the page names its quantity (accuracy, error, or another)', async ({ page }) => {
  // Evaluated after each step (both BN modes, BN on): the error chart draws test lines of two points in each mode.
  await openWithData(page, tinyUrl({ steps: '2', evalEvery: '1' }));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 300_000 });
  await page.getByRole('button', { name: 'Evaluate both' }).click();
  await expect(page.getByTestId('bn-evaluating')).toHaveText('Both measured at step 2.', { timeout: 120_000 });
  await expect(page.getByTestId('bn-acc-train')).toContainText('%', { timeout: 120_000 });
  const unnamed = await page.evaluate(() => {
    const words = /accura|error|acc\.|of quota|allowed|used|smoothing|share|of the|probab|confiden|pts/i;
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!/\d%/.test(n.textContent ?? '')) continue;
      const el = n.parentElement!;
      if (el.closest('svg, [aria-hidden="true"]') || getComputedStyle(el).display === 'none') continue;
      // the sentence, cell or tile it is in (its text and tooltip), up to three levels up, or the column header of a table cell
      let context = '';
      for (let e: Element | null = el, k = 0; e && k < 3; e = e.parentElement, k++)
        context += ` ${e.textContent ?? ''} ${e.getAttribute('title') ?? ''}`;
      const cell = el.closest('td');
      if (cell) {
        const table = cell.closest('table')!;
        const col = [...cell.parentElement!.children].indexOf(cell);
        context += ` ${table.querySelectorAll('thead th')[col]?.textContent ?? ''}`;
      }
      if (!words.test(context)) out.push(`"${n.textContent?.trim()}" in ${el.tagName.toLowerCase()}.${el.className}`);
    }
    return out;
  });
  expect(unnamed).toEqual([]);

  // The error chart's key draws each kind of line as the chart does (issue 22: "test, BN eval" and "test, BN train"
  // looked the same in the key): three different keys, each pattern one the chart draws.
  const chart = page.getByRole('figure', { name: 'Error (%) chart' });
  const keys = chart.getByTestId('error-key').locator('svg.line-key');
  await expect(keys).toHaveCount(3);
  const styles = await keys.evaluateAll((ks) => ks.map((k) => `${k.getAttribute('data-dash')}/${k.getAttribute('data-dot')}`));
  expect(styles).toEqual(['5 4/none', 'solid/filled', '2 3/hollow']);
  const drawn = await chart
    .locator('path.recharts-line-curve')
    .evaluateAll((ps) => [...new Set(ps.map((p) => p.getAttribute('stroke-dasharray') || 'solid'))].sort());
  expect(drawn).toEqual(['2 3', '5 4', 'solid']);
  // The BN-train test points are hollow (white inside), the BN-eval ones filled.
  await expect(chart.locator('.recharts-line-dots circle[fill="#fff"]').first()).toBeVisible();
});
