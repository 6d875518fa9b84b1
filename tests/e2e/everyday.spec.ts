import fs from 'node:fs';
import path from 'node:path';
import { writeJpeg, writeRedBlue } from '../helpers/image-fixtures';
import { writeNsfwModel } from '../helpers/nsfw-models';
import { expect, startServer, stopServer, test } from './fixtures';
import { JobsPage } from './pages/jobs-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { TrainPage, TrainRunsPage } from './pages/train-page';
import { WelcomePage } from './pages/welcome-page';
import { colour, trainedProject } from './trained-project';
import { unreachableZoo } from './unreachable-zoo';

/** Red and blue photos with names unique across classes (so a tile is found by name). */
async function namedPhotos(dir: string): Promise<void> {
  for (const name of ['red', 'blue']) {
    for (let i = 0; i < 8; i++)
      await writeJpeg(path.join(dir, name, `${name}-${i}.jpg`), {
        width: 40,
        height: 40,
        color: colour(name, i),
      });
  }
  // A large photo, for the image view's smooth enlargement test.
  await writeJpeg(path.join(dir, 'unsorted', 'large.jpg'), {
    width: 1600,
    height: 1200,
    color: colour('red', 3),
  });
}

test('a download that fails offline says so where it was started, in a toast and in the jobs panel', async ({
  page,
  workDir,
}) => {
  const zoo = await unreachableZoo(workDir);
  const { server, child } = await startServer(workDir, [], { OCELLUS_RESOURCES: zoo.resources });
  try {
    const welcome = new WelcomePage(page);
    await welcome.goto(server.url);
    await welcome.createProject('Offline');
    await new ProjectPage(page).goToView('Train');
    const train = new TrainPage(page);
    const jobs = new JobsPage(page);
    await train.download(zoo.modelName);

    // Where it was started: the Base model section, with the reason and a Retry.
    await expect(jobs.outcome).toContainText(`Downloading ${zoo.modelName} failed`);
    await expect(jobs.outcome.getByTestId('job-error')).toContainText('HTTP 503');
    // A toast, and the jobs panel with the failed job.
    await expect(jobs.toasts.filter({ hasText: 'Failed' })).toContainText('HTTP 503');
    await expect(jobs.button).toContainText('1 failed');
    await jobs.open();
    await expect(jobs.job(zoo.modelName)).toHaveAttribute('data-state', 'failed');
    await expect(jobs.job(zoo.modelName).getByTestId('job-error')).toContainText('HTTP 503');

    // Retry runs the download again as a new job (which fails the same way here).
    await jobs.job(zoo.modelName).getByRole('button', { name: 'Retry' }).click();
    await expect(jobs.panel.getByTestId('job').filter({ hasText: zoo.modelName })).toHaveCount(2);
    await expect(jobs.outcome).toContainText('HTTP 503');
  } finally {
    await stopServer(child);
    await zoo.close();
  }
});

test('first run on a fresh machine: the suggested folder is made, and closing says nothing wrong', async ({
  page,
  workDir,
}) => {
  const home = path.join(workDir, 'fresh-home');
  fs.mkdirSync(home);
  // No OCELLUS_PROJECT_DIR: the folder comes from the (fresh) home, where ~/Documents is missing.
  const { server, child } = await startServer(workDir, [], {
    HOME: home,
    USERPROFILE: home,
    OCELLUS_PROJECT_DIR: undefined,
  });
  try {
    const welcome = new WelcomePage(page);
    await welcome.goto(server.url);
    const create = welcome.newForm.getByRole('button', { name: 'Create project' });
    // Disabled until it can work, and saying why.
    await expect(create).toBeDisabled();
    await expect(page.getByTestId('create-why')).toHaveText('Give the project a name');
    await expect(welcome.newForm.getByLabel('Folder')).toHaveValue(path.join(home, 'Documents'));
    await welcome.createProject('First');
    const project = new ProjectPage(page);
    await project.expectOpen('First');
    expect(fs.existsSync(path.join(home, 'Documents', 'First.ocellus'))).toBe(true);

    // Train cannot start without labels: the button says why instead of doing nothing.
    await project.goToView('Train');
    const runs = new TrainRunsPage(page);
    await expect(runs.trainButton).toBeDisabled();
    await expect(runs.why).not.toBeEmpty();

    await project.close();
    await expect(welcome.heading).toBeVisible();
    await expect(page.getByTestId('error-banner')).toHaveCount(0);
    await expect(welcome.recentEntry('First')).toBeVisible();
  } finally {
    await stopServer(child);
  }
});

test('runs are named by title, mode, base and date in every picker; a stale run offers a retrain', async ({
  page,
  workDir,
}) => {
  // Three training runs (one with 5-fold cross-validation) on a shared 2-core machine.
  test.setTimeout(300_000);
  await trainedProject(workDir, {
    photos: namedPhotos,
    moreRuns: [['--epochs', '5', '--title', 'short run']],
  });
  const { server, child } = await startServer(workDir, [
    '--project',
    path.join(workDir, 'c.ocellus'),
  ]);
  try {
    await page.goto(server.url);
    const project = new ProjectPage(page);
    await project.goToView('Train');
    const runs = new TrainRunsPage(page);
    // The base model's folder name, not its imported-… id.
    await expect(runs.runs.locator('tbody tr')).toHaveCount(2);
    await expect(runs.runs.locator('tr[data-run="1"]')).toContainText('tiny');
    await expect(runs.runs.locator('tr[data-run="1"]')).not.toContainText('imported-');
    await expect(runs.runs.locator('tr[data-run="2"]')).toContainText('short run');
    await runs.rename(1, 'first look');
    await expect(runs.runs.locator('tr[data-run="1"]')).toContainText('first look');
    const name = /^first look · #1 Features · tiny · \d{4}-\d\d-\d\d \d\d:\d\d/;

    await project.goToView('Evaluate');
    const evalRun = page.getByTestId('evaluate-run');
    await expect(evalRun.locator('option')).toHaveCount(2);
    await expect(evalRun.locator('option[value="1"]')).toHaveText(name);
    await expect(evalRun.locator('option[value="2"]')).toHaveText(
      /^short run · #2 Features · tiny/,
    );

    await project.goToView('Export');
    const exportRun = page.getByTestId('export-run');
    await expect(exportRun.locator('option[value="1"]')).toHaveText(name);
    await exportRun.selectOption('1');
    await expect(page.getByTestId('export-stale')).toHaveCount(0);

    // A label fixed after training makes run 1 stale: Export warns and offers the retrain.
    await project.goToView('Library');
    const library = new LibraryPage(page);
    await library.tile('red-0.jpg').click();
    await page.keyboard.press('1'); // class 1 is blue (classes in name order)
    await expect(library.tile('red-0.jpg').getByTestId('badge')).toHaveText('blue');
    await project.goToView('Export');
    await exportRun.selectOption('1');
    await expect(page.getByTestId('export-stale')).toContainText('1 label changed');
    await page
      .getByTestId('export-stale')
      .getByRole('button', { name: 'Retrain with the fixes' })
      .click();
    await expect(page.getByRole('heading', { name: 'Train', level: 2 })).toBeAttached();
    await expect(runs.runs.locator('tbody tr')).toHaveCount(3);
    await expect(runs.runs.locator('tr[data-run="3"]')).toContainText('first look');
    await expect(runs.runs.locator('tr[data-run="3"]').getByTestId('run-status')).toHaveText(
      'done',
      { timeout: 60_000 },
    );
  } finally {
    await stopServer(child);
  }
});

test('Evaluate: the legend and headline follow the positive class, each figure in one format', async ({
  page,
  workDir,
}) => {
  test.setTimeout(120_000);
  await trainedProject(workDir);
  const { server, child } = await startServer(workDir, [
    '--project',
    path.join(workDir, 'c.ocellus'),
  ]);
  try {
    await page.goto(server.url);
    const project = new ProjectPage(page);
    await project.goToView('Evaluate');
    const panel = page.getByTestId('threshold-panel');
    const roc = panel.getByRole('figure').filter({ hasText: 'ROC curve' });
    const pr = panel.getByRole('figure').filter({ hasText: 'Precision–recall' });
    // Two classes: the second (red) is positive by default.
    await expect(roc.getByTestId('chart-legend')).toHaveText(/^red: ROC \(AUC \d\.\d{3}\)$/);
    await expect(page.getByTestId('headline')).toContainText('ROC AUC (red)');
    await panel.getByRole('combobox', { name: 'Positive class' }).selectOption('blue');
    await expect(roc.getByTestId('chart-legend')).toHaveText(/^blue: ROC \(AUC \d\.\d{3}\)$/);
    await expect(pr.getByTestId('chart-legend')).toHaveText(/^blue: PR \(AP \d\.\d{3}\)$/);
    await expect(page.getByTestId('headline')).toContainText('ROC AUC (blue)');
    // The AUC in the headline is the legend's, and its interval has the same format.
    const auc = (await page.getByTestId('auc').textContent())?.trim() ?? '';
    expect(auc).toMatch(/^\d\.\d{3}$/);
    await expect(roc.getByTestId('chart-legend')).toContainText(`AUC ${auc}`);
    await expect(page.getByTestId('auc-ci')).toHaveText(/^95 % CI (\d\.\d{3}–\d\.\d{3}|–)$/);
  } finally {
    await stopServer(child);
  }
});

test('the image view fits small images by enlarging them, pixelated; large ones smooth', async ({
  page,
  workDir,
}) => {
  await trainedProject(workDir, { photos: namedPhotos });
  const { server, child } = await startServer(workDir, [
    '--project',
    path.join(workDir, 'c.ocellus'),
  ]);
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(server.url);
    const library = new LibraryPage(page);
    await library.tile('blue-0.jpg').dblclick();
    const img = page.getByTestId('zoom-image');
    await expect(img).toHaveAttribute('data-rendering', 'pixelated');
    const box = await img.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(40 * 5);
    await expect(page.getByTestId('zoom-scale')).toHaveText(/^\d{3,} %$/);

    await new ProjectPage(page).goToView('Library');
    await library.tile('large.jpg').dblclick();
    await expect(page.getByTestId('current-path')).toHaveText(/large\.jpg$/);
    await expect(img).toHaveAttribute('data-rendering', 'auto');
    await expect(page.getByTestId('zoom-scale')).toHaveText(/^\d{1,2} %$/);
  } finally {
    await stopServer(child);
  }
});

test('a reload while a fine-tune run trains keeps the form, the view and the run on screen', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(240_000);
  const photos = path.join(ocellus.projectDir, 'colours');
  await writeRedBlue(photos, 8);
  const modelDir = path.join(ocellus.projectDir, 'mobilenet_v2');
  await writeNsfwModel(modelDir, 'mobilenet_v2');
  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Reload');
  await new LibraryPage(page).addFolder(photos, true);
  await expect(new LibraryPage(page).count('ok')).toHaveText('16');
  await project.goToView('Train');
  await new TrainPage(page).importModel(modelDir);
  const runs = new TrainRunsPage(page);
  await runs.method('Fine-tune').check();
  await runs.openAdvanced();
  // Many epochs and no early stop: the run is still training when the page reloads.
  await runs.form.getByRole('spinbutton', { name: /^Early-stop patience/ }).fill('0');
  await runs.train(1000, 'tuned top');
  const running = runs.runs.locator('tr[data-run="1"]').getByTestId('run-status');
  await expect(running).toHaveText('running');

  await page.reload();
  await expect(page.getByTestId('train-charts')).toBeVisible();
  await expect(runs.method('Fine-tune')).toBeChecked();
  await expect(runs.form.getByTestId('run-title-input')).toHaveValue('tuned top');
  await expect(runs.epochs()).toHaveValue('1000');
  await expect(page.getByTestId('shown-run')).toContainText('tuned top · #1 Fine-tune');
  // At 1280 px the page fits while the run trains (the status bar's job text widened it).
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(page.getByTestId('job-status')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);

  // Another tab (nothing kept in it) shows the settings of the run that is training.
  const other = await page.context().newPage();
  await other.goto(ocellus.url);
  await new ProjectPage(other).goToView('Train');
  const otherRuns = new TrainRunsPage(other);
  await expect(otherRuns.method('Fine-tune')).toBeChecked();
  await expect(otherRuns.form.getByTestId('run-title-input')).toHaveValue('tuned top');
  await expect(otherRuns.trainButton).toBeDisabled();
  await expect(otherRuns.why).toContainText('A run is training');
  await other.close();

  await page.getByTestId('train-charts').getByRole('button', { name: 'Cancel' }).click();
  await expect(running).toHaveText('cancelled', { timeout: 60_000 });
});
