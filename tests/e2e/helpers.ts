// Shared steps of the end-to-end tests: tiny run configs in the URL, loading the data, reading a run's row.
import { readFile } from 'node:fs/promises';
import { expect, test as base, type Page } from '@playwright/test';
// @ts-expect-error plain ESM helper without types
import { isCI } from '../../scripts/ci.mjs';
import { burnCpu, underLoad } from './load';

/**
 * Playwright's test, plus the machine loaded with a CPU burner on every core for the test's duration when E2E_LOAD=1
 * (the timing-sensitive specs import this one: resume, export, pause/stop, compare).
 */
export const test = base.extend<{ cpuLoad: undefined }>({
  cpuLoad: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a fixture needs from this pattern
    async ({}, use, info) => {
      if (!underLoad) return use(undefined);
      const stop = burnCpu(info.timeout > 0 ? info.timeout : 600_000);
      try {
        await use(undefined);
      } finally {
        stop();
      }
    },
    { auto: true },
  ],
});

/** A ResNet-8 of width 4 at batch 8: a few seconds per step on SwiftShader. */
export const TINY = {
  arch: 'residual',
  depth: '8',
  width: '4',
  shortcut: 'A',
  bn: '1',
  batch: '8',
  lr: '0.05',
  steps: '4',
  seed: '1',
  evalEvery: '0',
  evalImages: '16',
  schedule: 'constant',
};

export const tinyUrl = (over: Partial<Record<string, string>> = {}) => `/?${new URLSearchParams({ ...TINY, ...over })}`;

let dataMissing: string | undefined | null = null;
/**
 * Skips the calling test, saying why, when the preview server has no CIFAR-10 archive; under CI (scripts/ci.mjs)
 * that is a failure with the same message instead, so a CI run cannot pass by skipping.
 */
export async function requireData(page: Page): Promise<void> {
  if (dataMissing === null) {
    const help = 'put it at ../shared/cifar10/cifar-10-subset-binary.tar.gz, set CIFAR10_TARBALL, or run `npm run fetch-data`';
    try {
      const res = await page.request.head('/data/cifar10.tar.gz');
      dataMissing = res.ok()
        ? undefined
        : `No CIFAR-10 archive on the preview server (HEAD /data/cifar10.tar.gz: HTTP ${res.status()}): ${help}.`;
    } catch (e) {
      dataMissing = `The preview server did not answer HEAD /data/cifar10.tar.gz (${String(e)}): ${help}.`;
    }
  }
  if (dataMissing && isCI) throw new Error(`CI run: ${dataMissing} Under CI this is a failure, not a skip.`);
  test.skip(!!dataMissing, dataMissing ?? '');
}

/** Opens `url` and loads CIFAR-10 from the server copy (or from the browser cache if it is already there). */
export async function openWithData(page: Page, url: string): Promise<void> {
  await requireData(page);
  await page.goto(url);
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  const status = page.locator('.data-status');
  await expect(status).not.toContainText('Looking for a cached copy', { timeout: 60_000 });
  if (!(await status.textContent())?.includes('CIFAR-10 loaded')) await page.getByRole('button', { name: 'Load server copy' }).click();
  await expect(status).toContainText('CIFAR-10 loaded', { timeout: 180_000 });
}

export const runRow = (page: Page, name: string) => page.locator(`[data-testid="run"][data-run-name="${name}"]`);

export async function stepOf(page: Page, name: string): Promise<number> {
  return Number(await runRow(page, name).getByTestId('run-step').textContent());
}

/** Waits until run `name` has reached step `n` or more. */
export async function waitForStep(page: Page, name: string, n: number, timeout = 300_000): Promise<void> {
  await expect.poll(() => stepOf(page, name), { timeout, message: `run ${name} reaches step ${n}` }).toBeGreaterThanOrEqual(n);
}

export const badge = (page: Page, name: string) => runRow(page, name).locator('.badge');

/** A run's JSON export (src/train/metricsFormat.ts), the fields the specs read. */
export interface Exported {
  metrics: { step: number }[];
  evaluations: { step: number; bnMode: string }[];
}

/**
 * Waits until run `name`'s badge reads `state` and, in the same task as the change, clicks its JSON export; returns
 * the file's content and the step the row showed at that instant.
 */
export async function exportAtState(page: Page, name: string, state: string): Promise<Exported & { shownStep: number }> {
  const download = page.waitForEvent('download', { timeout: 600_000 });
  const shownStep = await page.evaluate(
    ([runName, wanted]) =>
      new Promise<number>((resolve) => {
        const check = (): boolean => {
          const row = document.querySelector(`[data-testid="run"][data-run-name="${runName}"]`);
          if (row?.querySelector('.badge')?.textContent !== wanted) return false;
          observer.disconnect();
          row.querySelector<HTMLButtonElement>(`button[aria-label="Export metrics of ${runName} as JSON"]`)!.click();
          resolve(Number(row.querySelector('[data-testid="run-step"]')?.textContent));
          return true;
        };
        const observer = new MutationObserver(() => void check());
        if (!check()) observer.observe(document.body, { subtree: true, childList: true, characterData: true });
      }),
    [name, state] as const,
  );
  const file = await download;
  return { ...(JSON.parse(await readFile(await file.path(), 'utf8')) as Exported), shownStep };
}

/** The runs kept in the page's IndexedDB (src/ui/lib/persist.ts): name, step, last state and gradient-norm samples of each. */
export const storedRuns = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ name: string; step: number; lastState: string; normSamples: number }[]>((resolve, reject) => {
        const open = indexedDB.open('resnet-playground-runs');
        open.onerror = () => reject(open.error ?? new Error('indexedDB.open failed'));
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('runs')) return resolve([]);
          const all = db.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () =>
            resolve(
              all.result.map((r) => ({
                name: r.name,
                step: r.step,
                lastState: r.lastState,
                normSamples: r.normSamples?.samples?.length ?? 0,
              })),
            );
          all.onerror = () => reject(all.error ?? new Error('getAll failed'));
        };
      }),
  );
