import path from 'node:path';
import { blueShade, redShade, writeJpeg, writeRedBlue } from '../helpers/image-fixtures';
import { writeNsfwModel } from '../helpers/nsfw-models';
import { expect, test } from './fixtures';
import { AssistPage } from './pages/assist-page';
import { LabelPage } from './pages/label-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { TrainRunsPage } from './pages/train-page';
import { WelcomePage } from './pages/welcome-page';

test('train, open the uncertainty queue, accept a suggestion by key, see it human-confirmed', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(240_000);
  const photos = path.join(ocellus.projectDir, 'colours');
  const unsorted = path.join(ocellus.projectDir, 'unsorted');
  await writeRedBlue(photos, 8);
  for (let i = 0; i < 2; i++) {
    await writeJpeg(path.join(unsorted, `r${i}.jpg`), {
      width: 224,
      height: 224,
      color: redShade(i + 3),
    });
    await writeJpeg(path.join(unsorted, `b${i}.jpg`), {
      width: 224,
      height: 224,
      color: blueShade(i + 3),
    });
  }
  const modelDir = path.join(ocellus.projectDir, 'mobilenet_v2');
  await writeNsfwModel(modelDir, 'mobilenet_v2');

  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  const library = new LibraryPage(page);
  const assist = new AssistPage(page);
  const label = new LabelPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Colours');
  await library.addFolder(photos, true);
  await expect(library.count('ok')).toHaveText('16');
  await library.addFolder(unsorted);
  await expect(library.count('ok')).toHaveText('20');
  await project.goToView('Train');
  await new TrainRunsPage(page).importAndTrain(modelDir, 12);

  await project.goToView('Library');
  // The run's predictions job gives every image a suggestion; the 4 unlabelled wait for a human.
  await assist.expectToConfirm(4);
  await assist.setQuickRetrain(false);
  await assist.openQueue();
  await expect(assist.shown).toHaveText('4 shown');
  await expect(assist.tileSuggestions).toHaveCount(4);

  await assist.openFirst();
  await expect(assist.state).toHaveAttribute('data-state', 'suggested');
  const suggested = ((await assist.suggestedClass.textContent()) ?? '').replace('?', '').trim();
  expect(['red', 'blue']).toContain(suggested);
  const file = await label.currentPath.textContent();
  await assist.acceptByKey();
  await label.expectPosition(2);
  await page.keyboard.press('ArrowLeft');
  await expect(label.currentPath).toHaveText(file ?? '');
  await expect(assist.state).toHaveAttribute('data-state', 'confirmed');
  await expect(assist.state).toContainText('Human-confirmed');
  await expect(label.currentLabels).toHaveText(suggested);

  // What the model looks at: a Grad-CAM overlay with an opacity slider.
  await assist.showHeatMap();
  await assist.setHeatOpacity(0.8);
  await expect(assist.heatMap).toHaveCSS('opacity', '0.8');

  // More like this: the grid shows the nearest images; those no human labelled are selected,
  // to label in one go (the 3 still unsorted), and a switch adds the human-labelled ones.
  await assist.moreLikeThis();
  await expect(assist.shown).toHaveText('20 shown');
  await expect(page.getByTestId('selection-count')).toContainText('3 selected');
  await page.getByTestId('similar-include-human').check();
  await expect(page.getByTestId('selection-count')).toContainText('20 selected');
  await assist.expectToConfirm(3, 10_000);
});
