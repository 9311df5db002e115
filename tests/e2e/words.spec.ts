// Every percentage on the page says what it is a percentage of (issue 22: "20.8%" beside an "Error (%)" chart was an
// accuracy; "79.2% whole" an error): the text around each one names accuracy or error, or another quantity.
import { expect } from '@playwright/test';
import { badge, openWithData, test, tinyUrl } from './helpers';

test('each percentage on the page names its quantity (accuracy, error, or another)', async ({ page }) => {
  await openWithData(page, tinyUrl({ steps: '2' }));
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
});
