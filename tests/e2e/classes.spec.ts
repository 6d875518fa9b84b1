/**
 * Class edits that cannot be undone ask first, with what they will do, and leave the grid and
 * the undo button telling the truth.
 */
import { expect, test } from './fixtures';
import { makeLabellingProject } from './helpers/labelling-project';
import { ProjectFile } from './helpers/project-file';
import { LibraryPage } from './pages/library-page';
import { WelcomePage } from './pages/welcome-page';

test.use({ viewport: { width: 1280, height: 800 } });

test('merging a class asks before it acts; the grid filtered on it falls back to every image; undo stops there', async ({
  page,
  ocellus,
}) => {
  const file = await makeLabellingProject(ocellus, {
    cards: { cameras: 1, shotsPerCamera: 4, burst: 2 },
    perClass: 4,
    train: false,
  });
  const welcome = new WelcomePage(page);
  await welcome.goto(ocellus.url);
  await welcome.openPath(file);
  const library = new LibraryPage(page);
  // A label the user could undo before the merge.
  await library.show('Unlabelled');
  await library.tiles.first().click();
  await page.keyboard.press('1');
  await expect(page.getByRole('button', { name: 'Undo' })).toBeEnabled();
  await library.show('Class: fox');
  await library.expectShown(4);

  await page.getByLabel('More actions for fox').click();
  await page.getByRole('button', { name: 'Merge into…' }).click();
  // The menu closes: it covered the question.
  await expect(page.getByRole('button', { name: 'Merge into…' })).toBeHidden();
  const merge = page.getByRole('group', { name: 'Merge fox' });
  await expect(merge.getByRole('button', { name: 'Merge', exact: true })).toBeDisabled();
  // Choosing a class with the keyboard only names it; nothing is merged yet.
  await merge.getByLabel('Merge target').selectOption({ label: 'deer' });
  await expect(merge).toContainText('and delete “fox”? This cannot be undone');
  const db = new ProjectFile(file);
  expect(db.classes().map((c) => c.name)).toContain('fox');
  await merge.getByRole('button', { name: 'Merge', exact: true }).click();

  await expect(page.getByTestId('classes')).not.toContainText('fox');
  await expect(page.getByLabel('Show', { exact: true })).toHaveValue('all');
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled();
  expect(db.classes().map((c) => c.name)).not.toContain('fox');
});

test('switching the label mode asks in the app, saying it ends undo; Cancel keeps the mode', async ({
  page,
  ocellus,
}) => {
  const file = await makeLabellingProject(ocellus, {
    cards: { cameras: 1, shotsPerCamera: 2, burst: 2 },
    perClass: 2,
    train: false,
  });
  const welcome = new WelcomePage(page);
  await welcome.goto(ocellus.url);
  await welcome.openPath(file);
  const mode = page.getByLabel('Label mode');
  await expect(mode).toHaveValue('single');
  await mode.selectOption('multi');
  const dialog = page.getByTestId('confirm-dialog');
  await expect(dialog).toContainText('ends the undo history');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(mode).toHaveValue('single');
  await mode.selectOption('multi');
  await dialog.getByRole('button', { name: 'Several classes' }).click();
  await expect.poll(() => new ProjectFile(file).labelMode()).toBe('multi');
});
