import fs from 'node:fs';
import path from 'node:path';
import { writeJpeg, writeRedBlue } from '../helpers/image-fixtures';
import { writeNsfwModel } from '../helpers/nsfw-models';
import { expect, test } from './fixtures';
import { EvaluatePage } from './pages/evaluate-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { TrainRunsPage } from './pages/train-page';
import { WelcomePage } from './pages/welcome-page';

test('evaluate a trained run: accuracy, confusion matrix, threshold slider, CSV download', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(180_000);
  const photos = path.join(ocellus.projectDir, 'colours');
  await writeRedBlue(photos, 8);
  const modelDir = path.join(ocellus.projectDir, 'mobilenet_v2');
  await writeNsfwModel(modelDir, 'mobilenet_v2');

  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  const library = new LibraryPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Colours');
  await library.addFolder(photos, true);
  await expect(library.count('ok')).toHaveText('16');
  await project.goToView('Train');
  await new TrainRunsPage(page).importAndTrain(modelDir, 10);

  await project.goToView('Evaluate');
  const evaluate = new EvaluatePage(page);
  await expect(evaluate.accuracy).toHaveText(/^\d+\.\d %$/);
  // Two classes in class order: a 2 × 2 table whose cells add up to the validation images.
  await expect(evaluate.matrix.locator('tbody tr')).toHaveCount(2);
  const cells = (await evaluate.matrix.locator('tbody td').allTextContents()).map(Number);
  expect(cells).toHaveLength(4);
  expect(cells.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

  // Threshold 1: nothing is called positive, so sensitivity 0 and specificity 100 %.
  await evaluate.pressOnSlider('End');
  await expect(evaluate.thresholdValue).toHaveText('1.00');
  await expect(evaluate.sensitivity).toHaveText('0.0 %');
  await expect(evaluate.specificity).toHaveText('100.0 %');
  // Threshold 0: everything is positive.
  await evaluate.pressOnSlider('Home');
  await expect(evaluate.thresholdValue).toHaveText('0.00');
  await expect(evaluate.sensitivity).toHaveText('100.0 %');
  await expect(evaluate.specificity).toHaveText('0.0 %');

  const download = await evaluate.downloadCsv('confusion-matrix');
  expect(download.suggestedFilename()).toMatch(/^run-\d+-confusion\.csv$/);
  const file = await download.path();
  const csv = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  expect(csv[0]).toBe('true \\ predicted,blue,red');
  expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['blue', 'red']);
  const total = csv
    .slice(1)
    .flatMap((l) => l.split(',').slice(1).map(Number))
    .reduce((a, b) => a + b, 0);
  expect(total).toBe(cells.reduce((a, b) => a + b, 0));

  // An operating point at full specificity, stored with the run and shown with its figures.
  await evaluate.setOperatingPoint('specificity', '1');
  await expect(evaluate.operatingPoint.getByTestId('op-summary')).toContainText(
    /when its probability ≥ [\d.]+\s+\(chosen by specificity\s+1\)\s+—\s+on \d+ validation images: sensitivity [\d.]+ %[^]*specificity\s+100\.0 %/,
  );
  // The slider goes to the threshold just fixed (it stayed at 0), and specificity follows.
  await expect(evaluate.thresholdValue).not.toHaveText('0.00');
  await expect(evaluate.specificity).toHaveText('100.0 %');
  // An empty value is refused beside the field.
  await evaluate.operatingPoint.getByTestId('op-value').fill('');
  await expect(evaluate.operatingPoint.getByRole('button', { name: 'Set' })).toBeDisabled();
  await expect(evaluate.operatingPoint).toContainText('A value from 0 to 1');
  // No metadata and no copies in this project: the leakage check finds nothing.
  await evaluate.checkLeakage();
  const leaks = evaluate.leakage.getByTestId('leakage-summary');
  await expect(leaks).toContainText('No metadata value (patient, eye…) on both sides.');
  await expect(leaks).toContainText('0 identical files on both sides.');
});

test('fix a misclassified label by key: the image is marked relabelled and the run stale', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(180_000);
  const photos = path.join(ocellus.projectDir, 'noisy');
  await writeRedBlue(photos, 10);
  // Red photos filed as blue: the model calls them red, and the review fixes them.
  for (let i = 0; i < 6; i++)
    await writeJpeg(path.join(photos, 'blue', `noisy-${i}.jpg`), {
      width: 224,
      height: 224,
      color: { r: 200 + i * 8, g: 12, b: 8 },
    });
  const modelDir = path.join(ocellus.projectDir, 'mobilenet_v2');
  await writeNsfwModel(modelDir, 'mobilenet_v2');

  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  const library = new LibraryPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Noisy');
  await library.addFolder(photos, true);
  await expect(library.count('ok')).toHaveText('26');
  await project.goToView('Train');
  // Half the images validate, so the mislabelled ones are among them (the split is seeded).
  await new TrainRunsPage(page).importAndTrain(modelDir, 10, 0.5);

  await project.goToView('Evaluate');
  const evaluate = new EvaluatePage(page);
  const first = evaluate.mistake(0);
  await expect(first).toContainText('predicted red');
  await expect(first).toContainText('label blue');
  await expect(evaluate.stale).toHaveCount(0);
  // The red class's hotkey (classes in order blue, red get keys 1 and 2).
  const before = await evaluate.accuracy.textContent();
  await first.focus();
  await first.press('2');
  await expect(first).toContainText('label red (was blue)');
  await expect(evaluate.stale).toContainText('1 label changed');
  // The figures follow the current labels at once (they waited for a reload): the image the
  // run got right is now counted right.
  await expect(evaluate.accuracy).not.toHaveText(before ?? '');
  // Undone anywhere, the review and the figures follow it back.
  await page.keyboard.press('Control+z');
  await expect(first).toContainText('label blue');
  await expect(first).not.toContainText('(was blue)');
  await expect(evaluate.accuracy).toHaveText(before ?? '');
});
