import path from 'node:path';
import { writeRedBlue } from '../helpers/image-fixtures';
import { writeNsfwModel } from '../helpers/nsfw-models';
import { nativeBackend } from '../helpers/native-backend';
import { expect, test } from './fixtures';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { TrainPage, TrainRunsPage } from './pages/train-page';
import { WelcomePage } from './pages/welcome-page';

test('train a classifier in the UI: live charts, a run with its validation accuracy', async ({
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
  await new TrainPage(page).importModel(modelDir);
  const runs = new TrainRunsPage(page);
  await runs.train(12);
  await expect(runs.runs.getByTestId('run-status').first()).toHaveText('done', {
    timeout: 150_000,
  });
  await expect(runs.runs.getByTestId('run-accuracy').first()).toHaveText(/%$/);
  await expect(runs.charts.getByRole('img', { name: /Accuracy per epoch/ })).toBeVisible();
  // The run says what it is: the estimate with its interval, the refit on all 16 images, and
  // that 8 images a class is too few to trust.
  await expect(runs.estimate.getByTestId('estimate-accuracy')).toHaveText(
    /Estimated accuracy [\d.]+ %/,
  );
  await expect(runs.estimate).toContainText('95 % Wilson interval');
  await expect(runs.estimate.getByTestId('estimate-refit')).toContainText('all 16 labelled images');
  await expect(runs.estimate.getByTestId('estimate-small-class')).toHaveCount(2);

  // Fine-tuning: the plan says what trains before starting, then a run finishes: the whole
  // network on the native backend, else the top trained from activations cached at a cut.
  const plan = await runs.planFinetune();
  // Planning loads the network and times one training step: slow on a busy machine.
  await expect(plan).toContainText(
    nativeBackend().available
      ? 'On tensorflow: augmented images stream through the whole network'
      : 'block_15_add',
    { timeout: 60_000 },
  );
  await expect(plan.getByRole('listitem').filter({ hasText: 'Conv_1' })).toContainText('trains');
  await runs.train(2);
  // The new run is listed first once it starts (loading the base can take a while under load).
  await expect(runs.runs.getByTestId('run-status')).toHaveCount(2, { timeout: 60_000 });
  await expect(runs.runs.getByTestId('run-status').first()).toHaveText('done', {
    timeout: 150_000,
  });
});
