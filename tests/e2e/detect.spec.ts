import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures';
import { DetectPage } from './pages/detect-page';
import { LabelPage } from './pages/label-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { WelcomePage } from './pages/welcome-page';

const PHOTOS = path.resolve('tests/fixtures/photos');

test('detect in the UI: live counts at a threshold, boxes on tiles, empty filter, mark the rest empty, boxes in the image view, box labels', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(180_000);
  const photos = path.join(ocellus.projectDir, 'trap');
  fs.mkdirSync(photos);
  for (const f of fs.readdirSync(PHOTOS).filter((n) => n.endsWith('.jpg'))) {
    fs.copyFileSync(path.join(PHOTOS, f), path.join(photos, f));
  }
  const welcome = new WelcomePage(page);
  const library = new LibraryPage(page);
  const detect = new DetectPage(page);
  const label = new LabelPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Trap');
  await new ProjectPage(page).expectOpen('Trap');
  await library.addFolder(photos);
  await expect(library.count('ok')).toHaveText('4');

  await detect.run();
  await expect(detect.panel.getByTestId('detector-used')).toContainText('CenterNet');
  await expect(detect.count('empty')).toContainText('2');
  await expect(detect.count('animal')).toContainText('1');
  await expect(detect.count('person')).toContainText('1');
  // Above every box: all four are empty, live.
  await detect.setThreshold(0.95);
  await expect(detect.count('empty')).toContainText('4');
  await detect.setThreshold(0.2);
  await expect(detect.count('empty')).toContainText('2');

  // Boxes on the grid's tiles at the threshold: the cat's and the person's, none on the empties.
  await detect.showTileBoxes(true);
  const tileBoxes = (name: string) => library.tile(name).getByTestId('tile-box');
  await expect(tileBoxes('cat.jpg')).toHaveCount(1);
  await expect(tileBoxes('cat.jpg')).toHaveAttribute('data-category', 'animal');
  await expect(tileBoxes('person.jpg')).toHaveCount(1);
  await expect(tileBoxes('person.jpg')).toHaveAttribute('data-category', 'person');
  await expect(tileBoxes('grass.jpg')).toHaveCount(0);
  await detect.setThreshold(0.95);
  await expect(tileBoxes('cat.jpg')).toHaveCount(0);
  await detect.setThreshold(0.2);
  await expect(tileBoxes('cat.jpg')).toHaveCount(1);
  await detect.showTileBoxes(false);
  await expect(tileBoxes('cat.jpg')).toHaveCount(0);

  await detect.show('empty');
  await library.expectShown(2);
  await expect(library.tile('grass.jpg')).toBeVisible();
  await expect(library.tile('gravel.jpg')).toBeVisible();

  await detect.markEmpty();
  await expect(label.classCount('empty')).toHaveText('2');

  // The cat in the image view: its box, confirmed; then one drawn by hand.
  await detect.show('animal');
  await library.expectShown(1);
  await library.tile('cat.jpg').dblclick();
  await expect(detect.boxes).toHaveCount(1);
  await expect(detect.boxes.first()).toHaveAttribute('data-category', 'animal');
  await detect.boxes.first().click();
  await detect.boxPanel.getByTestId('box-confirm').click();
  await expect(detect.boxes.first()).toHaveAccessibleName(/confirmed/);
  await detect.drawBox([0.05, 0.05], [0.3, 0.3]);
  await expect(detect.boxes).toHaveCount(2);
  await expect(detect.boxPanel.getByTestId('box-summary')).toHaveText(/2 boxes/);

  // The drawn box is chosen: a class key labels the box, not the image; the image's label
  // derived from its boxes says so; undo takes the box's label back like an image label.
  await label.addClass('cat');
  await detect.boxPanel.getByRole('heading', { name: 'Boxes' }).click();
  await page.keyboard.press('2');
  await expect(detect.derivedLabels).toHaveText(/cat ×1/);
  await expect(label.currentLabels).not.toContainText('cat');
  await page.keyboard.press('Control+z');
  await expect(detect.derivedLabels).toBeHidden();
  await page.keyboard.press('Control+Shift+z');
  await expect(detect.derivedLabels).toHaveText(/cat ×1/);
});
