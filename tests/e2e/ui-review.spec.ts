/**
 * Found walking the UI as a new user (each failed before its fix): keys act once, on the image
 * the user sees, never through a dialog or drawer; the Library's panels fit their column.
 */
import path from 'node:path';
import fs from 'node:fs';
import { writeBoxScenes } from '../helpers/box-scenes';
import { writeJpeg } from '../helpers/image-fixtures';
import { writeTinyCnn } from '../helpers/tiny-models';
import { connectApi } from './helpers/api-client';
import { runBuiltCli } from './helpers/built-cli';
import { DetectPage } from './pages/detect-page';
import { expect, test, type OcellusServer } from './fixtures';
import { ProjectFile } from './helpers/project-file';
import { AssistPage } from './pages/assist-page';
import { ExportPage } from './pages/export-page';
import { JobsPage } from './pages/jobs-page';
import { LabelPage } from './pages/label-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { TrainPage, TrainRunsPage } from './pages/train-page';
import { WelcomePage } from './pages/welcome-page';
import type { Page } from '@playwright/test';

test.use({ viewport: { width: 1280, height: 800 } });

const CLASSES = ['cat', 'dog', 'fox'];

/** A project made in the UI: `count` photos p0, p1…, three classes with keys 1–3. */
async function project(page: Page, ocellus: OcellusServer, count = 8): Promise<ProjectFile> {
  const photos = path.join(ocellus.projectDir, 'photos');
  for (let i = 0; i < count; i++)
    await writeJpeg(path.join(photos, `p${i}.jpg`), {
      width: 48,
      height: 32,
      color: { r: 30 * i, g: 90, b: 200 - 20 * i },
    });
  const welcome = new WelcomePage(page);
  await welcome.goto(ocellus.url);
  await welcome.createProject('Review');
  const library = new LibraryPage(page);
  await library.addFolder(photos);
  await library.expectShown(count);
  const label = new LabelPage(page);
  for (const name of CLASSES) await label.addClass(name);
  return new ProjectFile(path.join(ocellus.projectDir, 'Review.ocellus'));
}

/** Each labelled image's file and class name, as the project file has them. */
function stored(db: ProjectFile): Record<string, string> {
  const names = new Map(db.classes().map((c) => [c.id, c.name]));
  const paths = new Map(db.images().map((i) => [i.id, i.relPath]));
  return Object.fromEntries(
    db.labels().map((l) => [paths.get(l.imageId) ?? '?', names.get(l.classId) ?? '?']),
  );
}

test('in the image view a held key labels one image, and keys in a dialog or the jobs drawer never reach it', async ({
  page,
  ocellus,
}) => {
  const db = await project(page, ocellus);
  const library = new LibraryPage(page);
  const label = new LabelPage(page);
  await library.tile('p0.jpg').dblclick();
  await expect(label.currentPath).toHaveText('p0.jpg');

  // A held "1": p0 labelled, the view on p1; the repeats label nothing (they labelled p1–p5).
  await label.hold('1', 5);
  await expect(label.currentPath).toHaveText('p1.jpg');
  // Written in key order: once "2" on p1 is stored, so is anything the repeats did.
  await page.keyboard.press('2');
  await expect(label.currentPath).toHaveText('p2.jpg');
  await expect.poll(() => stored(db)).toEqual({ 'p0.jpg': 'cat', 'p1.jpg': 'dog' });

  // The shortcuts list is open: a class key is not for the image under it, and Escape only
  // closes the list.
  await page.keyboard.press('?');
  await expect(label.shortcuts).toBeVisible();
  await page.keyboard.press('3');
  await page.keyboard.press('Escape');
  await expect(label.shortcuts).toBeHidden();
  await expect(label.currentPath).toHaveText('p2.jpg');

  // The jobs drawer has the focus: the same.
  const jobs = new JobsPage(page);
  await jobs.open();
  await expect(jobs.panel).toBeFocused();
  await page.keyboard.press('3');
  await page.keyboard.press('Escape');
  await expect(jobs.panel).toBeHidden();
  await expect(label.currentPath).toHaveText('p2.jpg');

  // After ticking "Next image after labelling" (off), a class key labels the image shown.
  await label.advance.click();
  await expect(label.advance).not.toBeChecked();
  await page.keyboard.press('1');
  await expect
    .poll(() => stored(db))
    .toEqual({
      'p0.jpg': 'cat',
      'p1.jpg': 'dog',
      'p2.jpg': 'cat',
    });
  await expect(label.currentPath).toHaveText('p2.jpg');
  db.close();
});

test('in the grid a held class key or Space acts once; arrows still repeat', async ({
  page,
  ocellus,
}) => {
  const db = await project(page, ocellus);
  const library = new LibraryPage(page);
  const label = new LabelPage(page);
  await library.tile('p0.jpg').click();
  await expect(library.selection).toContainText('1 selected');
  // Space held on p0 selects it once (each repeat toggled it: four presses, none selected).
  await page.keyboard.press('Escape');
  await expect(library.selection).toHaveCount(0);
  await label.hold(' ', 3);
  await expect(library.selection).toContainText('1 selected');
  // A held "2" labels p0, and one undo takes the label off.
  await label.hold('2', 4);
  await expect.poll(() => stored(db)).toEqual({ 'p0.jpg': 'dog' });
  await page.keyboard.press('Control+z');
  await expect.poll(() => stored(db)).toEqual({});
  // Arrows repeat: a held → moves the focus four tiles.
  await page.keyboard.press('Escape');
  await label.hold('ArrowRight', 3);
  await expect(library.grid.locator('.focused')).toHaveAttribute('title', 'p4.jpg');
  db.close();
});

test('the Library panels fit their column at 1280×800, and name the detector after a reload', async ({
  page,
  ocellus,
}) => {
  await project(page, ocellus);
  const library = new LibraryPage(page);
  // A detector's long name widened every panel past the column, cutting off buttons.
  await expect(library.detector.locator('option').first()).toBeAttached();
  expect(await library.panelsOverflow()).toEqual([]);
  await expect(library.detector.locator('option:checked')).toHaveText(/CenterNet/);
  // Reopened with the project already open: the detectors were never loaded (an empty list).
  await page.reload();
  await new ProjectPage(page).expectOpen('Review');
  await expect(library.detector.locator('option:checked')).toHaveText(/CenterNet/);
  expect(await library.panelsOverflow()).toEqual([]);
});

test('after the question before replacing a human label, the grid still takes the keys', async ({
  page,
  ocellus,
}) => {
  const db = await project(page, ocellus);
  const library = new LibraryPage(page);
  const label = new LabelPage(page);
  await library.tile('p0.jpg').click();
  await page.keyboard.press('1');
  await expect.poll(() => stored(db)).toEqual({ 'p0.jpg': 'cat' });
  await library.tile('p1.jpg').click({ modifiers: ['Shift'] });
  await expect(library.selection).toContainText('2 selected');
  await page.keyboard.press('2');
  await label.confirm(/Replace 1 human label/);
  await expect.poll(() => stored(db)).toEqual({ 'p0.jpg': 'dog', 'p1.jpg': 'dog' });
  // The dialog went away with the focus: Escape and "3" did nothing.
  await page.keyboard.press('Escape');
  await expect(library.selection).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('3');
  await expect
    .poll(() => stored(db))
    .toEqual({ 'p0.jpg': 'dog', 'p1.jpg': 'dog', 'p2.jpg': 'fox' });
  db.close();
});

test('Export: the Camtrap DP mapping names each control by its class; privacy options sit beside the buttons', async ({
  page,
  ocellus,
}) => {
  await project(page, ocellus);
  await new ProjectPage(page).goToView('Export');
  const exportPage = new ExportPage(page);
  // They wrapped into the buttons' narrow column, under "Export ImageFolder".
  const button = await page.getByRole('button', { name: 'Export ImageFolder' }).boundingBox();
  const privacy = await exportPage.privacyOptions.boundingBox();
  expect(privacy?.x ?? 0).toBeGreaterThan((button?.x ?? 0) + (button?.width ?? 0));
  for (const name of CLASSES) {
    const mapping = await exportPage.camtrapMapping(name);
    await expect(mapping.type).toHaveValue('animal');
    await expect(mapping.scientificName).toBeEditable();
  }
});

test('suggestions: quick retrain stops saying "train a first run" once one is done; bulk accept keeps the focus', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(120_000);
  await project(page, ocellus, 10);
  const library = new LibraryPage(page);
  // Five of each: quick retrain tries a few seconds later, with no run to retrain from.
  for (const [from, to, key] of [
    ['p0.jpg', 'p4.jpg', '1'],
    ['p5.jpg', 'p9.jpg', '2'],
  ] as const) {
    await library.tile(from).click();
    await library.tile(to).click({ modifiers: ['Shift'] });
    await page.keyboard.press(key);
  }
  const { api, close } = await connectApi(ocellus);
  try {
    await expect
      .poll(async () => (await api.assist.status()).quickRetrain.detail, { timeout: 30_000 })
      .toMatch(/first run/);
  } finally {
    close();
  }
  const base = path.dirname(await writeTinyCnn(path.join(ocellus.projectDir, 'tiny')));
  await new ProjectPage(page).goToView('Train');
  await new TrainPage(page).importModel(base);
  const runs = new TrainRunsPage(page);
  await runs.train(5);
  await expect(runs.runs.getByTestId('run-status').first()).toHaveText('done', {
    timeout: 90_000,
  });
  await new ProjectPage(page).goToView('Library');
  const assist = new AssistPage(page);
  await expect(assist.counts).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('quick-retrain')).toBeChecked();
  await expect(assist.quickRetrainState).toHaveCount(0);

  // The bulk accept's buttons come and go: the focus follows them (it fell to the page, where
  // Enter did nothing).
  await page.getByLabel('Bulk threshold (%)').fill('0');
  await assist.bulkButton.click();
  await expect(assist.bulkAnswer('Cancel')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(assist.bulkButton).toBeFocused();
  await expect(assist.bulkOffer).toHaveCount(0);
});

test('a box chosen on one image is not labelled by a class key on the next', async ({
  page,
  ocellus,
}) => {
  const photos = path.join(ocellus.projectDir, 'scenes');
  const scenes = await writeBoxScenes(photos, 2);
  const file = path.join(ocellus.projectDir, 'b.ocellus');
  const cli = async (args: string[]) =>
    expect((await runBuiltCli(args, ocellus.projectDir, ocellus.appDataDir)).code).toBe(0);
  await cli(['init', file]);
  await cli(['add', file, photos]);
  const md = {
    info: { detector: 'boxes' },
    detection_categories: { '1': 'animal' },
    images: scenes.map((sc) => ({
      file: sc.file,
      detections: sc.objects.map((o) => ({ category: '1', conf: 0.9, bbox: o.box })),
    })),
  };
  fs.writeFileSync(path.join(ocellus.projectDir, 'md.json'), JSON.stringify(md));
  await cli(['import-detections', file, path.join(ocellus.projectDir, 'md.json')]);
  const [first, second] = scenes.map((sc) => sc.file);

  const welcome = new WelcomePage(page);
  await welcome.goto(ocellus.url);
  await welcome.openPath(file);
  await new ProjectPage(page).expectOpen('b');
  const label = new LabelPage(page);
  await label.addClass('cat');
  const db = new ProjectFile(file);
  await new LibraryPage(page).tile(first ?? '').dblclick();
  await expect(label.currentPath).toHaveText(first ?? '');
  const detect = new DetectPage(page);
  await detect.boxes.first().click();
  await expect(detect.boxPanel.getByTestId('box-actions')).toBeVisible();
  // A box label says what it did on the status line (it kept the last image label's words).
  await page.keyboard.press('1');
  await expect(label.lastAction).toHaveText(/Label 1 box/);
  await expect(detect.derivedLabels).toContainText('cat ×1');
  await page.keyboard.press('0');
  await expect(detect.derivedLabels).toHaveCount(0);
  // On to the next image: "1" labels the image shown (it labelled the first image's box).
  await page.keyboard.press('ArrowRight');
  await expect(label.currentPath).toHaveText(second ?? '');
  await page.keyboard.press('1');
  await expect.poll(() => stored(db)).toEqual({ [second ?? '']: 'cat' });
  await page.keyboard.press('ArrowLeft');
  await expect(label.currentPath).toHaveText(first ?? '');
  await expect(detect.boxes.first()).toBeVisible();
  await expect(detect.derivedLabels).toHaveCount(0);
  db.close();
});

test('back from the image view, a class key labels the image focused there, not the one double-clicked', async ({
  page,
  ocellus,
}) => {
  const db = await project(page, ocellus);
  const library = new LibraryPage(page);
  const label = new LabelPage(page);
  await library.tile('p1.jpg').dblclick();
  await expect(label.currentPath).toHaveText('p1.jpg');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(label.currentPath).toHaveText('p3.jpg');
  await page.keyboard.press('Escape');
  await expect(library.grid.locator('.focused')).toHaveAttribute('title', 'p3.jpg');
  // The double-click's click had left p1 selected: "2" labelled p1, out of sight.
  await expect(library.selection).toHaveCount(0);
  await page.keyboard.press('2');
  await expect.poll(() => stored(db)).toEqual({ 'p3.jpg': 'dog' });
  db.close();
});

test('the grid keeps the keys: after a clicked tile scrolls away, Shift+arrows from the focused image, after the shortcuts list', async ({
  page,
  ocellus,
}) => {
  const db = await project(page, ocellus, 120);
  const library = new LibraryPage(page);
  await page.getByLabel('Thumbnail size').fill('96');
  await library.tile('p1.jpg').click();
  // The clicked tile scrolls out of sight and its row is reused: the keys stay with the grid.
  for (let i = 0; i < 4; i++) await page.keyboard.press('PageDown');
  await expect(library.grid).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(library.selection).toHaveCount(0);
  const focused = library.grid.locator('.focused');
  const name = await focused.getAttribute('title');
  await page.keyboard.press('2');
  await expect.poll(() => stored(db)).toEqual({ [name ?? '?']: 'dog' });

  // Shift+arrows without a selection: the range starts at the image focused before the move.
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await expect(page.getByTestId('selection-count')).toContainText('3 selected');

  // Closed with Esc, the shortcuts list gives the keys back to the grid.
  await page.keyboard.press('Escape');
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcuts')).toBeHidden();
  await expect(library.grid).toBeFocused();
  db.close();
});

test("a class's key box saves the key pressed, refuses others aloud, and says whose key it took", async ({
  page,
  ocellus,
}) => {
  const db = await project(page, ocellus);
  const box = page.getByLabel('Hotkey of dog');
  const status = page.getByTestId('last-action');
  await box.focus();
  // "0" clears labels and "?" lists the shortcuts: neither can be a class key.
  await page.keyboard.press('0');
  await expect(status).toContainText('cannot be a class key');
  await expect(box).toHaveValue('2');
  expect(db.classes().find((c) => c.name === 'dog')?.hotkey).toBe('2');
  await page.keyboard.press('Digit1');
  await expect(status).toHaveText('Key 1 now labels dog; cat has no key');
  await expect(box).toHaveValue('1');
  await expect(page.getByLabel('Hotkey of cat')).toHaveValue('');
  await page.keyboard.press('Backspace');
  await expect(status).toHaveText('dog has no key now');
  await expect(box).toHaveValue('');
  // A class's menu closes when the user clicks anywhere else.
  await page.getByLabel('More actions for cat').click();
  const rename = page.getByRole('button', { name: 'Rename' });
  await expect(rename).toBeVisible();
  await page.getByRole('heading', { name: 'Classes' }).click();
  await expect(rename).toBeHidden();
  db.close();
});

test("after a reload, Undo still takes back the last label (the history is the file's)", async ({
  page,
  ocellus,
}) => {
  const db = await project(page, ocellus);
  const library = new LibraryPage(page);
  await library.tile('p0.jpg').click();
  await page.keyboard.press('1');
  await expect.poll(() => stored(db)).toEqual({ 'p0.jpg': 'cat' });
  await page.reload();
  const undo = page.getByRole('button', { name: 'Undo', exact: true });
  await expect(undo).toBeEnabled();
  await undo.click();
  await expect.poll(() => stored(db)).toEqual({});
  await expect(page.getByRole('button', { name: 'Redo', exact: true })).toBeEnabled();
  db.close();
});
