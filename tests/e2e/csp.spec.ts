// The production build ships a strict Content-Security-Policy (vite.config.ts): the page loads, the worker starts
// and a run trains under it without a single violation, and an injected inline script is refused.
import { expect, test } from '@playwright/test';
import { openWithData, tinyUrl, waitForStep } from './helpers';

declare global {
  interface Window {
    __cspViolations: string[];
    __inlineRan?: boolean;
  }
}

test('the built page trains under its Content-Security-Policy, which refuses inline script', async ({ page }) => {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await openWithData(page, tinyUrl({ steps: '6' }));
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).toContain("script-src 'self'");
  expect(policy).toContain("worker-src 'self'");
  expect(policy).toContain("connect-src 'self' https:");
  expect(policy).not.toContain('unsafe-inline');
  expect(policy).not.toContain('unsafe-eval');

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForStep(page, 'resnet-8', 3);
  await expect(page.locator('[data-testid="run"][data-run-name="resnet-8"]').getByTestId('run-loss')).toHaveText(/^\d+\.\d{3}$/);
  expect(await page.evaluate(() => window.__cspViolations)).toEqual([]);

  // The policy is enforced, not only present: an inline script does not run and is reported.
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.append(s);
    await new Promise((r) => setTimeout(r, 100));
    return window.__inlineRan ?? false;
  });
  expect(ran).toBe(false);
  await expect.poll(() => page.evaluate(() => window.__cspViolations.join('\n'))).toContain('script-src');
});
