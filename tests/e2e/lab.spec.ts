// The analysis lab end to end (issue 11): a tiny plain/residual pair is trained, then each instrument measures it
// in the real worker on the GPU and draws; a screenshot of each panel goes to test-results/lab-*.png.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { join } from 'node:path';
import { badge, openWithData, runRow, storedRuns, tinyUrl } from './helpers';

/** The lab panel as the page lays it out (page scrolled to the top, so the sticky run-controls bar does not cover it). */
async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await page.locator('.lab-panel').boundingBox();
  if (!box) throw new Error('the lab panel is not on the page');
  await page.screenshot({ path: join(test.info().project.outputDir, `lab-${name}.png`), fullPage: true, clip: box });
}

/**
 * Every chart label of a lab panel is legible: drawn at 10 px or more (the charts draw at their own width, not
 * scaled down from a wider one), inside its chart, and clear of every other label of that chart.
 */
async function expectLegibleCharts(panel: Locator, what: string) {
  const problems = await panel.evaluate((root) => {
    const out: string[] = [];
    for (const svg of root.querySelectorAll('.lab-chart svg')) {
      const frame = svg.getBoundingClientRect();
      if (frame.width === 0) continue;
      const boxes = [...svg.querySelectorAll('text')].map((t) => ({ t: t.textContent ?? '', r: t.getBoundingClientRect() }));
      for (const [i, a] of boxes.entries()) {
        if (a.r.height < 10) out.push(`"${a.t}" is ${a.r.height.toFixed(1)} px tall`);
        if (a.r.left < frame.left - 1 || a.r.right > frame.right + 1) out.push(`"${a.t}" runs out of its chart`);
        for (const b of boxes.slice(i + 1)) {
          const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
          const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
          if (w > 1 && h > 1) out.push(`"${a.t}" overlaps "${b.t}"`);
        }
      }
    }
    return out;
  });
  expect(problems, `${what}: chart labels`).toEqual([]);
}

test('the analysis lab measures a trained plain/residual pair: layer responses, lesion study, BatchNorm lab, loss landscape, saliency, gradient flow, kernel profile', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await openWithData(page, tinyUrl({ steps: '3' }));
  await page.getByRole('button', { name: 'Compare plain vs residual' }).click();
  await expect(runRow(page, 'resnet-8')).toHaveCount(1);
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 180_000 });
  await expect(badge(page, 'plain-8')).toHaveText('done', { timeout: 180_000 });
  const lab = page.getByRole('region', { name: 'Analysis lab' });
  const tabs = lab.getByRole('tablist', { name: 'Instruments' });

  // Layer responses: one line per run (std per 3x3 layer), and the residual run's ||F(x)||/||x|| per block.
  await tabs.getByRole('tab', { name: 'Layer responses' }).click();
  const responses = lab.getByRole('tabpanel', { name: 'Layer responses' });
  await responses.getByRole('button', { name: /^Measure on/ }).click();
  const std = responses.getByRole('figure', { name: 'Std of each 3x3 layer’s response chart' });
  await expect(std.locator('path.lab-line')).toHaveCount(2);
  await expect(std.locator('svg[role="img"] circle')).toHaveCount(2 * 7); // depth 8: 7 3x3 layers
  await expect(
    responses.getByRole('figure', { name: '||F(x)|| / ||x|| per residual block chart' }).locator('svg[role="img"] circle'),
  ).toHaveCount(3);
  await expect(responses.getByTestId('responses-caption')).toContainText('mean response std');
  await expectLegibleCharts(responses, 'layer responses');
  await shot(page, 'layer-responses');

  // Keyboard: the arrow key moves to the next instrument.
  await tabs.getByRole('tab', { name: 'Layer responses' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(tabs.getByRole('tab', { name: 'Lesion study' })).toHaveAttribute('aria-selected', 'true');
  await expect(tabs.getByRole('tab', { name: 'Lesion study' })).toBeFocused();
  const lesion = lab.getByRole('tabpanel', { name: 'Lesion study' });
  await lesion.getByRole('button', { name: 'Remove each block in turn' }).click();
  const lesionChart = lesion.getByRole('figure', { name: 'Test error (%) with one block removed chart' });
  await expect(lesionChart.locator('path.lab-line')).toHaveCount(4); // per run: block removed + whole net
  await expect(lesion.getByTestId('lesion-caption')).toContainText('with a block removed');
  // Both nets are studied, each said to be measured; the blocks are named under their points.
  const progress = lesion.getByTestId('lesion-progress');
  await expect(progress.locator('li')).toHaveCount(2);
  await expect(progress.locator('li', { hasText: 'resnet-8' })).toContainText('measured at step 3 (the whole net and 3 blocks removed');
  await expect(progress.locator('li', { hasText: 'plain-8' })).toContainText('measured at step 3');
  await expect(lesionChart.locator('text[data-tick]')).toHaveText(['layer1.0', 'layer2.0', 'layer3.0']);
  await expectLegibleCharts(lesion, 'lesion study');
  await shot(page, 'lesion-study');

  await tabs.getByRole('tab', { name: 'BatchNorm lab' }).click();
  const bn = lab.getByRole('tabpanel', { name: 'BatchNorm lab' });
  const hist = bn.getByRole('group', { name: /^Activations before and after BN/ });
  await hist.getByRole('button', { name: 'Show histograms' }).click();
  await expect(hist.getByRole('figure', { name: 'conv1 before BN histogram' }).locator('rect.lab-bar')).toHaveCount(40);
  await expect(hist.getByRole('figure', { name: 'conv1 after BN histogram' }).locator('rect.lab-bar')).toHaveCount(40);
  await hist.getByLabel('Layer').selectOption('layer2.0.conv2');
  await expect(hist.getByRole('figure', { name: 'layer2.0.conv2 after BN histogram' })).toBeVisible();
  await expect(hist.getByTestId('bn-hist-caption')).toContainText('std');
  await expect(hist.getByRole('figure', { name: 'layer2.0.conv2: batch vs running mean chart' }).locator('path.lab-line')).toHaveCount(2);
  await expect(hist.getByTestId('bn-drift-caption')).toContainText('running standard deviations');
  // Drift over training: one point per measurement of the layer; the second draws the lines.
  await hist.getByRole('button', { name: 'Measure again' }).click();
  await expect(hist.getByTestId('bn-drift-history-caption')).toContainText('2 measurements of layer2.0.conv2, both at step 3');
  const driftChart = hist.getByRole('figure', { name: 'layer2.0.conv2: drift over training chart' });
  await expect(driftChart.locator('path.lab-line')).toHaveCount(2);
  await expect(driftChart.locator('svg[role="img"] circle')).toHaveCount(4);
  // Each measurement is labelled once under its point (not "step 3 … step 3" at the ends).
  await expect(driftChart.locator('text[data-tick]')).toHaveText(['step 3', 'step 3 (2)']);
  // The half-width charts keep their labels legible, and the legend keys are drawn as their lines.
  await expectLegibleCharts(hist, 'BatchNorm lab');
  await expect(driftChart.locator('.chart-key svg.line-key')).toHaveCount(2);
  await expect(driftChart.locator('.chart-key svg.line-key').nth(1)).toHaveAttribute('data-dash', '5 4');
  const re = bn.getByRole('group', { name: 'Re-estimate BN statistics' });
  await re.getByLabel('Batches').fill('3');
  await re.getByRole('button', { name: 'Re-estimate BN statistics' }).click();
  const table = re.getByTestId('bn-reestimate-result');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table).toContainText('pts');
  await expect(bn.getByRole('link', { name: 'BatchNorm at test time' })).toHaveAttribute('href', '#bn-title');
  await bn.getByRole('button', { name: /Small-batch preset/ }).click();
  await expect(page.getByLabel('Batch size', { exact: true })).toHaveValue('2');
  await shot(page, 'batchnorm-lab');

  // Loss landscape: a 1-D line per run, then a 3x3 heat map per run, side by side.
  await tabs.getByRole('tab', { name: 'Loss landscape' }).click();
  const land = lab.getByRole('tabpanel', { name: 'Loss landscape' });
  await land.getByLabel('Points per axis').fill('5');
  await land.getByRole('button', { name: /^1-D/ }).click();
  await expect(
    land.getByRole('figure', { name: 'Loss from the initial (0) to the current (1) weights chart' }).locator('path.lab-line'),
  ).toHaveCount(2);
  await expect(land.getByTestId('landscape-1d-caption')).toContainText('(start)');
  await land.getByLabel('Points per axis').fill('3');
  await land.getByRole('button', { name: /^2-D/ }).click();
  await expect(land.locator('rect.lab-cell')).toHaveCount(2 * 9);
  await expect(land.getByRole('figure', { name: /resnet-8.*loss landscape heat map/ })).toBeVisible();
  await expect(land.getByRole('figure', { name: /plain-8.*loss landscape heat map/ })).toBeVisible();
  await expectLegibleCharts(land, 'loss landscape');
  await shot(page, 'loss-landscape');

  // Saliency: predictions first, then an image of them: its class activation map over the image, for any class.
  await tabs.getByRole('tab', { name: 'Saliency' }).click();
  const sal = lab.getByRole('tabpanel', { name: 'Saliency' });
  await sal.getByRole('button', { name: 'Show predictions' }).click();
  await expect(sal.getByTestId('saliency-prompt')).toContainText('Pick an image: its map shows where the net looks');
  await sal.getByRole('list', { name: 'Pick an image' }).getByRole('button').first().click();
  const result = sal.getByTestId('saliency-result');
  // The overlay has its scale: transparent at 0 to red at the map's largest value, which it names.
  await expect(result.getByTestId('saliency-scale')).toContainText(/^0\s*[\d.e+-]+ \(the largest \|∂loss\/∂pixel\|\)$/);
  await expect(result.getByRole('figure', { name: 'Class activation map' }).locator('canvas')).toHaveCount(2);
  await result.getByRole('combobox', { name: 'Class' }).selectOption({ index: 3 });
  await expect(result).toContainText('change the loss of cat');
  await result.getByRole('radiogroup', { name: 'Map' }).getByRole('radio', { name: 'Grad-CAM' }).check();
  await expect(result).toContainText('vote for cat');
  await expect(result.getByTestId('saliency-scale')).toContainText('(the map’s largest activation)');
  await shot(page, 'saliency');

  // Gradient flow: the per-layer gradient norms reported while training, a layer x step heat map per run.
  await tabs.getByRole('tab', { name: 'Gradient flow' }).click();
  const flow = lab.getByRole('tabpanel', { name: 'Gradient flow' });
  await expect(
    flow.getByRole('figure', { name: 'resnet-8 gradient norms over training heat map' }).locator('rect.lab-cell').first(),
  ).toBeVisible();
  await expect(flow.getByRole('figure', { name: 'plain-8 gradient norms over training heat map' })).toContainText('BN on');
  // Axes: layer names down the side (input at the top), steps underneath; a colour bar in plain numbers, not "1e-0.4".
  const map = flow.getByRole('figure', { name: 'resnet-8 gradient norms over training heat map' });
  await expect(map.locator('text[data-tick]').first()).toHaveText('conv1');
  await expect(map.locator('text[data-tick]', { hasText: 'fc' })).toHaveCount(1);
  await expect(map.locator('text[data-tick]', { hasText: /^step \d+$/ }).first()).toBeVisible();
  const scale = flow.getByRole('figure', { name: 'Colour scale' });
  await expect(scale.locator('text[data-tick]').first()).toHaveText(/^\d[\d.]*$/);
  await expect(flow).not.toContainText('1e');
  await expect(map.getByTestId('gradient-flow-caption')).toContainText(/samples over training, one column each|One sample so far, at step/);
  await expectLegibleCharts(flow, 'gradient flow');
  await shot(page, 'gradient-flow');

  // Kernel profile, opened from the run's row: the cost model's FLOPs and bytes always (they need no timing), bars
  // of the GPU time where the adapter has timestamp queries, else of the FLOPs with a sentence saying it has none.
  await runRow(page, 'resnet-8').getByRole('button', { name: 'Kernel profile of resnet-8' }).click();
  await expect(tabs.getByRole('tab', { name: 'Kernel profile' })).toHaveAttribute('aria-selected', 'true');
  const prof = lab.getByRole('tabpanel', { name: 'Kernel profile' });
  await prof.getByRole('button', { name: 'Profile one step of resnet-8' }).click();
  await expect(prof.getByTestId('profile-cost')).toContainText(/\d(\.\d+)?[KMG] FLOPs, [\d.]+ (KiB|MiB|GiB) read \+ written/);
  const chart = prof.getByRole('figure', { name: /^Kernel (time|FLOPs) chart$/ });
  await expect(chart.locator('.lab-bar-fill').first()).toBeVisible();
  await expect(chart.locator('li').first()).toContainText('FLOP');
  // Words for a person: no source file names, no "312MFLOP" or "0FLOP".
  await expect(prof).not.toContainText('model/counts.ts');
  await expect(prof).not.toContainText(/\dFLOP|\b0 FLOP/);
  if (await prof.getByRole('figure', { name: 'Kernel FLOPs chart' }).isVisible())
    await expect(prof.getByTestId('profile-unavailable')).toBeVisible();
  await prof.getByRole('radiogroup', { name: 'Group by' }).getByRole('radio', { name: 'Layer' }).check();
  await expect(chart.locator('.lab-bar-name', { hasText: 'layer1.0' })).toHaveCount(1);
  await expect(chart.locator('.lab-bar-name', { hasText: 'stem' })).toHaveCount(1);
  await expect(prof).toContainText('multiply-adds per image');
  await shot(page, 'kernel-profile');
});

test('after a reload the lab loads a saved pair from its checkpoints on demand, then measures it; Gradient flow keeps its samples over training', async ({
  page,
}) => {
  test.setTimeout(240_000);
  // 30 steps: the worker samples the gradient norms every 500 ms, so the runs report several samples.
  await openWithData(page, tinyUrl({ steps: '30' }));
  await page.getByRole('button', { name: 'Compare plain vs residual' }).click();
  await expect(badge(page, 'resnet-8')).toHaveText('done', { timeout: 180_000 });
  await expect(badge(page, 'plain-8')).toHaveText('done', { timeout: 180_000 });
  // Both are kept (a finished run's weights go to the browser): reload once the rows say so.
  for (const name of ['resnet-8', 'plain-8'])
    await expect(runRow(page, name)).toHaveAttribute('data-checkpoint-step', '30', { timeout: 60_000 });
  const lab0 = page.getByRole('region', { name: 'Analysis lab' });
  await lab0.getByRole('tablist', { name: 'Instruments' }).getByRole('tab', { name: 'Gradient flow' }).click();
  const flowMap = () =>
    page.getByRole('region', { name: 'Analysis lab' }).getByRole('figure', { name: 'resnet-8 gradient norms over training heat map' });
  const before = await flowMap().getByTestId('gradient-flow-caption').textContent();
  const samples = Number(/^(\d+) samples over training/.exec(before ?? '')?.[1] ?? 1);
  expect(samples, `30 steps report more than one sample of the gradient norms (${before})`).toBeGreaterThan(1);
  const cells = await flowMap().locator('rect.lab-cell').count();
  // Reload once the page has stored those samples (records are written at most once a second).
  await expect
    .poll(async () => (await storedRuns(page)).find((r) => r.name === 'resnet-8')?.normSamples, { timeout: 30_000 })
    .toBe(Math.min(samples, 48));
  await page.reload();
  await expect(page.getByTestId('engine-status')).toHaveClass(/ready/, { timeout: 120_000 });
  await expect(page.locator('.data-status')).toContainText('CIFAR-10 loaded', { timeout: 120_000 });

  const lab = page.getByRole('region', { name: 'Analysis lab' });
  const wake = lab.getByTestId('lab-wake');
  await expect(wake).toContainText('resnet-8 and plain-8 are saved, not loaded: the lab measures a network in the worker.');
  await expect(wake).toContainText('(paused at step 30)');
  // The map spans the training as before the reload (not one column), captioned the same.
  await lab.getByRole('tablist', { name: 'Instruments' }).getByRole('tab', { name: 'Gradient flow' }).click();
  await expect(flowMap().getByTestId('gradient-flow-caption')).toHaveText(before!);
  await expect(flowMap().locator('rect.lab-cell')).toHaveCount(cells);
  await lab.getByRole('tablist', { name: 'Instruments' }).getByRole('tab', { name: 'Layer responses' }).click();
  const responses = lab.getByRole('tabpanel', { name: 'Layer responses' });
  await expect(responses.getByRole('button', { name: /^Measure on/ })).toBeDisabled();
  await wake.getByRole('button', { name: 'Load their checkpoints' }).click();
  await expect(wake).toHaveCount(0, { timeout: 120_000 });
  await responses.getByRole('button', { name: /^Measure on/ }).click();
  const std = responses.getByRole('figure', { name: 'Std of each 3x3 layer’s response chart' });
  await expect(std.locator('path.lab-line')).toHaveCount(2, { timeout: 120_000 });
});
