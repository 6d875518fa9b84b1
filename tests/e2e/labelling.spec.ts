import path from 'node:path';
import { writeJpeg } from '../helpers/image-fixtures';
import { expect, test } from './fixtures';
import { LabelPage } from './pages/label-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { WelcomePage } from './pages/welcome-page';

test.use({ viewport: { width: 1600, height: 1000 } });

test('label by keyboard, bulk-label a range, undo/redo, filter, sequences, reload', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(120_000);
  // 3 cameras × 10 shots; each camera shoots two bursts (shots 10 s apart, bursts an hour apart).
  const photos = path.join(ocellus.projectDir, 'cards');
  for (let cam = 0; cam < 3; cam++) {
    for (let i = 0; i < 10; i++) {
      const hour = 10 + (i < 5 ? 0 : 1);
      const sec = String((i % 5) * 10).padStart(2, '0');
      await writeJpeg(path.join(photos, `cam${cam}`, `IMG_${String(i).padStart(4, '0')}.jpg`), {
        width: 160,
        height: 120,
        color: { r: cam * 80, g: i * 20, b: 100 },
        exif: {
          DateTimeOriginal: `2024:06:0${cam + 1} ${hour}:00:${sec}`,
          Make: 'Bushnell',
          Model: 'Core',
          BodySerialNumber: `SN${cam}`,
        },
      });
    }
  }
  const welcome = new WelcomePage(page);
  const project = new ProjectPage(page);
  const library = new LibraryPage(page);
  const labels = new LabelPage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Cards');
  await library.addFolder(photos);
  await expect(library.count('ok')).toHaveText('30');
  await labels.addClass('deer');
  await labels.addClass('empty');
  await labels.addClass('fox');

  // Keyboard alone: focus the grid, open the first image, label 20 images.
  await library.grid.focus();
  await page.keyboard.press('Enter');
  await labels.expectPosition(1);
  for (let i = 0; i < 10; i++) await page.keyboard.press('1');
  for (let i = 0; i < 10; i++) await page.keyboard.press('2');
  await labels.expectPosition(21);
  await expect(labels.unlabelled).toHaveText('10');
  await expect(labels.classCount('deer')).toHaveText('10');
  await expect(labels.classCount('empty')).toHaveText('10');
  await page.keyboard.press('ArrowLeft');
  await expect(labels.currentLabels).toHaveText('empty');

  // Switch sequence: the film strip shows this burst; show only it.
  // It stays on the image shown, the burst's last shot (it jumped to the first).
  const shown = await labels.currentPath.textContent();
  await page.getByRole('button', { name: 'Show only this sequence' }).click();
  await expect(page.getByTestId('position')).toHaveText(/^5 \/ 5$/);
  await expect(labels.currentPath).toHaveText(shown ?? '');
  // With burst labelling ticked, a class key labels the whole burst, which holds images a
  // human labelled "empty": replacing them asks first.
  await page.getByTestId('burst-mode').check();
  await page.keyboard.press('3');
  await labels.confirm(/^Replace \d+ human labels?$/);
  await expect(labels.classCount('fox')).toHaveText('5');
  // ...and moves on past the burst: here, it stays at the end of the list.
  await expect(page.getByTestId('position')).toHaveText(/^5 \/ 5$/);
  // Shift+class key takes that class off the shown image only, as a real keyboard sends it
  // (Shift+3 types "#").
  await page.keyboard.press('Shift+Digit3');
  await expect(labels.classCount('fox')).toHaveText('4');
  await page.keyboard.press('Control+z');
  await expect(labels.classCount('fox')).toHaveText('5');
  await page.getByTestId('burst-mode').uncheck();

  // Back to the grid with everything; bulk-label a shift-click range.
  await page.keyboard.press('Escape');
  await page.getByLabel('Show', { exact: true }).selectOption('all');
  // Small thumbnails, so all 30 are on screen (the grid only renders what is visible).
  await page.getByLabel('Thumbnail size').fill('96');
  const tiles = library.grid.getByRole('gridcell');
  await expect(tiles).toHaveCount(30);
  await tiles.nth(25).click();
  await tiles.nth(29).click({ modifiers: ['Shift'] });
  await expect(page.getByTestId('selection-count')).toContainText('5 selected');
  await page.keyboard.press('3');
  await expect(labels.classCount('fox')).toHaveText('10');

  // Undo and redo the bulk action.
  await page.keyboard.press('Control+z');
  await expect(labels.classCount('fox')).toHaveText('5');
  await page.keyboard.press('Control+Shift+z');
  await expect(labels.classCount('fox')).toHaveText('10');

  // Filter by class.
  await page.getByLabel('Show', { exact: true }).selectOption({ label: 'Class: fox' });
  await expect(page.getByTestId('shown-count')).toHaveText('10 shown');
  await expect(tiles.first().getByTestId('badge')).toHaveText('fox');

  // Everything is in the project file: a reload shows the same.
  const before = await Promise.all(
    ['deer', 'empty', 'fox'].map((c) => labels.classCount(c).textContent()),
  );
  const unlabelledBefore = await labels.unlabelled.textContent();
  await page.reload();
  await expect(labels.classCount('deer')).toHaveText(/^[0-9]+$/);
  const counts = await Promise.all(
    ['deer', 'empty', 'fox'].map((c) => labels.classCount(c).textContent()),
  );
  const total = counts.reduce((n, c) => n + Number(c), 0);
  expect(total).toBe(30 - Number(await labels.unlabelled.textContent()));
  expect(counts).toEqual(before);
  await expect(labels.unlabelled).toHaveText(unlabelledBefore ?? '');
  await expect(labels.classCount('fox')).toHaveText('10');
  await expect(project.name).toHaveText('Cards');
});
