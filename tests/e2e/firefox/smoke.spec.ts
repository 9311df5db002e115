// The app in Firefox (wgpu/naga on Mesa's lavapipe here), driven by puppeteer-core over WebDriver BiDi
// (Playwright drives only its own patched Firefox, which cannot be downloaded here): load the data, train, export
// at "done", compare plain vs residual, switch BatchNorm between train and eval mode, reload mid-run and resume;
// the header names the adapter honestly and the run rows fit. The same production build and preview server as the
// Chromium suite (playwright.config.ts, project 'firefox').
import { expect, test } from '@playwright/test';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
// @ts-expect-error plain ESM helper without types
import { findFirefox, launchFirefox } from '../../../scripts/firefox.mjs';
// @ts-expect-error plain ESM helper without types
import { isCI } from '../../../scripts/ci.mjs';
import { TINY } from '../helpers';

const missing = findFirefox() ? undefined : 'No Firefox: install firefox-esr and mesa-vulkan-drivers (Debian), or set FIREFOX_PATH.';
if (missing && isCI) throw new Error(`CI run: ${missing} Under CI this is a failure, not a skip.`);
test.skip(!!missing, missing ?? '');
test.describe.configure({ mode: 'serial' });

let browser: Browser;
let context: BrowserContext | undefined;
let page: Page;
let base: string;

/** A new page in a new user context: its own IndexedDB and cache, as a test in Playwright gets. */
async function freshPage() {
  await context?.close();
  context = await browser.createBrowserContext();
  page = await context.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('pageerror', (e) => console.error(`[firefox page error] ${String(e)}`));
}
test.beforeAll(async ({ baseURL }) => {
  base = baseURL!;
  const data = await fetch(`${base}/data/cifar10.tar.gz`, { method: 'HEAD' });
  if (!data.ok && isCI) throw new Error(`CI run: no CIFAR-10 archive on the preview server (HTTP ${data.status}).`);
  test.skip(!data.ok, `No CIFAR-10 archive on the preview server (HTTP ${data.status}).`);
  browser = (await launchFirefox()) as Browser;
  await freshPage();
});
// What the page showed when a test failed: a screenshot and the runs panel's text.
// eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a hook needs from this pattern
test.afterEach(async ({}, info) => {
  if (info.status === info.expectedStatus || !page) return;
  await page.screenshot({ path: info.outputPath('firefox.png') }).catch(() => {});
  console.error(`[firefox runs panel] ${await text('.runs-panel')}`);
});
test.afterAll(async () => {
  await browser?.close();
});

const url = (over: Record<string, string>) => `${base}/?${new URLSearchParams({ ...TINY, ...over })}`;
const text = (sel: string) => page.$eval(sel, (e) => e.textContent ?? '').catch(() => '');
const row = (name: string) => `[data-testid="run"][data-run-name="${name}"]`;

/** Waits until `fn` (run in the page with `arg`) returns something truthy, and returns it. */
async function until<A, R>(what: string, fn: (arg: A) => R, arg: A, timeout = 300_000): Promise<R> {
  try {
    const h = await page.waitForFunction(fn as (arg: unknown) => R, { timeout, polling: 250 }, arg);
    return (await h.jsonValue()) as R;
  } catch (e) {
    throw new Error(`${what}: not within ${timeout / 1000} s (${String(e)})`, { cause: e });
  }
}

const badgeIs = (name: string, state: string) =>
  until(`${name} reads '${state}'`, ([r, s]) => document.querySelector(`${r} .badge`)?.textContent === s, [row(name), state] as const);

/** Clicks the button whose visible text or aria-label is `name`, as a person would (hit-tested, must be enabled). */
async function click(name: string) {
  const h = await page.waitForSelector(`::-p-xpath(//button[normalize-space()="${name}" or @aria-label="${name}"])`, { timeout: 60_000 });
  // Enabled within a minute (a store update can land one render after the text the caller waited for), else fail.
  let enabled = false;
  for (const t0 = Date.now(); !enabled && Date.now() - t0 < 60_000; await new Promise((r) => setTimeout(r, 100)))
    enabled = !(await h!.evaluate((b) => (b as HTMLButtonElement).disabled));
  expect(enabled, `${name} is enabled`).toBe(true);
  await h!.click();
}

/** Captures what the app hands to URL.createObjectURL (its downloads) instead of saving files. */
async function captureDownloads() {
  await page.evaluate(() => {
    const w = window as unknown as { downloads: string[] };
    w.downloads = [];
    const create = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (b: Blob | MediaSource) => {
      if (b instanceof Blob) void b.text().then((t) => w.downloads.push(t));
      return create(b);
    };
    HTMLAnchorElement.prototype.click = function () {};
  });
}

async function openWithData(over: Record<string, string>) {
  await page.goto(url(over));
  await until(
    'the engine is ready',
    () => document.querySelector('[data-testid="engine-status"]')?.classList.contains('ready'),
    null,
    120_000,
  );
  await until(
    'the cache is looked at',
    () => !document.querySelector('.data-status')?.textContent?.includes('Looking for a cached copy'),
    null,
    60_000,
  );
  if (!(await text('.data-status')).includes('CIFAR-10 loaded')) await click('Load server copy');
  await until('CIFAR-10 is loaded', () => document.querySelector('.data-status')?.textContent?.includes('CIFAR-10 loaded'), null, 180_000);
  await captureDownloads();
}

test('the header names the adapter as Firefox reports it, with the kernel profile and why', async () => {
  await openWithData({ steps: '4' });
  const header = await text('[data-testid="engine-status"]');
  expect(header).toMatch(/WebGPU \(Firefox\)/);
  expect(header).not.toMatch(/unknown adapter/i);
  expect(header).toMatch(/(cpu|gpu) kernels/);
});

test('train to done, the JSON export at that instant is whole, and the run row fits', async () => {
  await click('Train');
  await badgeIs('resnet-8', 'done');
  expect(await text(`${row('resnet-8')} [data-testid="run-step"]`)).toBe('4');
  expect(await text(`${row('resnet-8')} [data-testid="run-test-acc"]`)).toMatch(/%$/);
  await click('Export metrics of resnet-8 as JSON');
  const json = JSON.parse(await until('the export', () => (window as unknown as { downloads: string[] }).downloads[0], null, 30_000));
  expect(json.metrics.map((m: { step: number }) => m.step)).toEqual([1, 2, 3, 4]);
  expect(json.evaluations.map((e: { step: number }) => e.step)).toContain(4);
  // Every button of the row inside the row, and the list not scrolling sideways.
  const fit = await page.$eval(row('resnet-8'), (r) => {
    const box = r.getBoundingClientRect();
    const list = r.closest('.run-list')!;
    const out = [...r.querySelectorAll('button')].filter((b) => {
      const bb = b.getBoundingClientRect();
      return bb.right > box.right + 0.5 || bb.left < box.left - 0.5;
    });
    return { outside: out.map((b) => b.getAttribute('aria-label') ?? b.textContent), sideways: list.scrollWidth - list.clientWidth };
  });
  expect(fit).toEqual({ outside: [], sideways: 0 });
});

test('the BatchNorm switch measures both modes', async () => {
  const radio = (mode: string) =>
    `::-p-xpath(//span[normalize-space()="BatchNorm mode"]/following-sibling::div[@role="radiogroup"]//input[@value="${mode}"]/parent::label)`;
  await (await page.waitForSelector(radio('train')))!.click();
  await until('BN train accuracy', () => document.querySelector('[data-testid="bn-acc-train"]')?.textContent?.includes('%'), null, 120_000);
  await until('BN eval accuracy', () => document.querySelector('[data-testid="bn-acc-eval"]')?.textContent?.includes('%'), null, 120_000);
  await (await page.waitForSelector(radio('eval')))!.click();
  for (const mode of ['train', 'eval']) expect(await text(`[data-testid="bn-acc-${mode}"]`), mode).toContain('step 4');
});

test('compare plain vs residual trains both twins to the end with a gap', async () => {
  await freshPage();
  await openWithData({ steps: '3' });
  await click('Compare plain vs residual');
  await badgeIs('resnet-8', 'done');
  await badgeIs('plain-8', 'done');
  await until('the compare gap', () => /pts$/.test(document.querySelector('[data-testid="compare-gap"]')?.textContent ?? ''), null, 60_000);
  const readout = await text('[data-testid="compare-readout"]');
  expect(readout).toContain('plain-8');
  expect(readout).toContain('resnet-8');
});

test('a reload mid-run offers Resume, which goes on from the checkpoint to the end', async () => {
  const steps = 300; // lavapipe steps this net in ~0.05 s: long enough to reload mid-run
  await freshPage();
  await openWithData({ steps: String(steps), autosave: '5' });
  await click('Train');
  const name = 'resnet-8';
  await until('a checkpoint', (r) => Number(document.querySelector(r)?.getAttribute('data-checkpoint-step')) > 0, row(name));
  await page.reload();
  await badgeIs(name, 'saved');
  const checkpoint = Number(await page.$eval(row(name), (r) => r.getAttribute('data-checkpoint-step')));
  expect(checkpoint).toBeGreaterThan(0);
  expect(checkpoint).toBeLessThan(steps);
  await until(
    'the cache is looked at',
    () => !document.querySelector('.data-status')?.textContent?.includes('Looking for a cached copy'),
    null,
    60_000,
  );
  if (!(await text('.data-status')).includes('CIFAR-10 loaded')) await click('Load server copy');
  await until('CIFAR-10 is loaded', () => document.querySelector('.data-status')?.textContent?.includes('CIFAR-10 loaded'), null, 180_000);
  await click(`Resume ${name} from step ${checkpoint}`);
  const seen = await until(
    'the resumed run finishes',
    ([r, log]) => {
      const w = window as unknown as Record<string, number[]>;
      w[log] ??= [];
      w[log].push(Number(document.querySelector(`${r} [data-testid="run-step"]`)?.textContent));
      return document.querySelector(`${r} .badge`)?.textContent === 'done' ? w[log] : undefined;
    },
    [row(name), 'stepsSeen'] as const,
  );
  expect(Math.min(...seen!)).toBeGreaterThanOrEqual(checkpoint);
  expect(await text(`${row(name)} [data-testid="run-step"]`)).toBe(String(steps));
});
