/**
 * Regression tests for the seven ways labelling could write wrong human labels (each failed
 * before its fix): every key press lands on the image the screen shows.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test, type OcellusServer } from './fixtures';
import { connectApi } from './helpers/api-client';
import { makeLabellingProject } from './helpers/labelling-project';
import { ProjectFile } from './helpers/project-file';
import { LabelPage } from './pages/label-page';
import { LibraryPage } from './pages/library-page';
import { WelcomePage } from './pages/welcome-page';

test.use({ viewport: { width: 1280, height: 800 } });

const CARDS = { cameras: 2, shotsPerCamera: 12, burst: 4 };

/** Opens a CLI-made project in the UI; with `suggestions`, waits for the run's suggestions. */
async function openProject(
  page: Page,
  ocellus: OcellusServer,
  o: { train: boolean; cards?: typeof CARDS },
): Promise<ProjectFile> {
  const file = await makeLabellingProject(ocellus, {
    cards: o.cards ?? CARDS,
    perClass: 4,
    train: o.train,
  });
  const welcome = new WelcomePage(page);
  await welcome.goto(ocellus.url);
  await welcome.openPath(file);
  await expect(page.getByTestId('project-name')).toHaveText('Cards');
  if (o.train) {
    const { api, close } = await connectApi(ocellus);
    try {
      await api.assist.predict();
    } finally {
      close();
    }
    await expect(page.getByTestId('suggestion-counts')).toBeVisible({ timeout: 60_000 });
  }
  return new ProjectFile(file);
}

/** The "Unlabelled" grid (24 images) with its first image clicked. */
async function clickFirstUnlabelled(page: Page): Promise<LibraryPage> {
  const library = new LibraryPage(page);
  await library.show('Unlabelled');
  await library.expectShown(24);
  await library.tiles.first().click();
  return library;
}

/** Ids of the unlabelled camera images in path order (the "Unlabelled" filter's list). */
function unlabelledIds(db: ProjectFile): number[] {
  const labelled = db.labelMap();
  return db
    .images()
    .filter((i) => i.relPath.startsWith('cam') && !labelled.has(i.id))
    .map((i) => i.id);
}

test('1. Enter on a grid tile opens the image and never accepts its suggestion', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(120_000);
  const db = await openProject(page, ocellus, { train: true });
  const library = new LibraryPage(page);
  const label = new LabelPage(page);
  await library.show('Unlabelled');
  await library.expectShown(24);
  const first = await library.tiles.first().getAttribute('data-id');
  await library.tiles.first().click();
  await page.keyboard.press('Enter');
  await label.expectPosition(1);
  await expect(page.getByTestId('suggestion-state')).toHaveAttribute('data-state', 'suggested');
  // A round trip on the page's own connection, after anything the Enter could have sent.
  await page.keyboard.press('ArrowRight');
  await label.expectPosition(2);
  await page.keyboard.press('ArrowLeft');
  await label.expectPosition(1);
  await expect(page.getByTestId('suggestion-state')).toHaveAttribute('data-state', 'suggested');
  expect(db.labelMap().has(Number(first))).toBe(false);
});

test('2. an image that leaves the filter leaves the selection; the next key labels the focused image', async ({
  page,
  ocellus,
}) => {
  const db = await openProject(page, ocellus, { train: false });
  const library = new LibraryPage(page);
  await library.show('Unlabelled');
  await library.expectShown(24);
  const [a, b] = unlabelledIds(db);
  await library.tiles.first().click();
  await expect(library.selection).toContainText('1 selected');
  await page.keyboard.press('1');
  await library.expectShown(23);
  await expect(library.selection).toBeHidden();
  expect(await library.focusedId()).toBe(b);
  await page.keyboard.press('2');
  await library.expectShown(22);
  const labels = db.labelMap();
  const [deer, empty] = db.classes();
  expect(labels.get(a as number)).toBe(deer?.id);
  expect(labels.get(b as number)).toBe(empty?.id);
});

test('3. More like this leaves human-labelled images unselected unless asked', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(120_000);
  const db = await openProject(page, ocellus, { train: true });
  const before = db.labelMap();
  const library = new LibraryPage(page);
  await library.show('Unlabelled');
  await library.tiles.first().dblclick();
  await page.getByTestId('more-like-this').click();
  await expect(page.getByTestId('similar-note')).toBeVisible();
  const shown = await library.tiles.evaluateAll((els) => els.map((e) => Number(e.dataset['id'])));
  const unlabelledShown = shown.filter((id) => !before.has(id)).length;
  expect(shown.length).toBeGreaterThan(unlabelledShown);
  await expect(library.selection).toContainText(`${unlabelledShown} selected`);
  await page.keyboard.press('2');
  await expect(page.getByTestId('last-action')).toContainText(`${unlabelledShown} image`);
  const after = db.labelMap();
  for (const [id, cls] of before) expect(after.get(id)).toBe(cls);
});

test('4. undo refreshes the filtered grid and the selection', async ({ page, ocellus }) => {
  await openProject(page, ocellus, { train: false });
  const library = new LibraryPage(page);
  const label = new LabelPage(page);
  await library.show('Unlabelled');
  await library.expectShown(24);
  await library.tiles.nth(0).click();
  await library.tiles.nth(5).click({ modifiers: ['Shift'] });
  await expect(library.selection).toContainText('6 selected');
  await page.keyboard.press('1');
  await library.expectShown(18);
  await expect(label.unlabelled).toHaveText('18');
  await page.keyboard.press('Control+z');
  await expect(label.unlabelled).toHaveText('24');
  await library.expectShown(24);
  await expect(library.selection).toBeHidden();
});

test('5. Next after labelling in the image view never skips an image', async ({
  page,
  ocellus,
}) => {
  const db = await openProject(page, ocellus, { train: false });
  const expected = unlabelledIds(db).slice(0, 6);
  await clickFirstUnlabelled(page);
  const label = new LabelPage(page);
  await page.keyboard.press('Enter');
  await label.expectPosition(1);
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('1');
    await label.expectPosition(i + 2);
  }
  await expect(label.unlabelled).toHaveText('19');
  const labels = db.labelMap();
  expect(expected.slice(0, 5).map((id) => labels.has(id))).toEqual([true, true, true, true, true]);
  expect(labels.has(expected[5] as number)).toBe(false);
  await expect(label.currentPath).toHaveText('cam0/IMG_0005.jpg');
});

test('7. an image whose file goes while it is shown says so, and class keys leave it alone', async ({
  page,
  ocellus,
}) => {
  const db = await openProject(page, ocellus, { train: false });
  const [first, second] = unlabelledIds(db);
  await clickFirstUnlabelled(page);
  const label = new LabelPage(page);
  await page.keyboard.press('Enter');
  await label.expectPosition(1);
  await expect(label.currentPath).toHaveText('cam0/IMG_0000.jpg');
  fs.rmSync(path.join(path.dirname(db.file), 'cards', 'cam0', 'IMG_0000.jpg'));
  // The watcher marks it missing; the view says so instead of "Loading…" for good.
  await expect(page.getByTestId('image-gone')).toBeVisible({ timeout: 30_000 });
  await page.keyboard.press('1');
  await page.keyboard.press('ArrowRight');
  await label.expectPosition(2);
  await page.keyboard.press('1');
  await expect(label.unlabelled).toHaveText('22');
  const labels = db.labelMap();
  expect(labels.has(first as number)).toBe(false);
  expect(labels.has(second as number)).toBe(true);
});

test('8. a clicked image travels with the arrow keys: the next class key labels the image with the ring', async ({
  page,
  ocellus,
}) => {
  const db = await openProject(page, ocellus, { train: false });
  const [first, second] = unlabelledIds(db);
  const library = await clickFirstUnlabelled(page);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('1');
  await library.expectShown(23);
  const labels = db.labelMap();
  expect(labels.has(second as number)).toBe(true);
  expect(labels.has(first as number)).toBe(false);
});

test('6. 300 class keys as fast as Chromium delivers them give 300 labels on the right images', async ({
  page,
  ocellus,
}) => {
  test.setTimeout(180_000);
  const db = await openProject(page, ocellus, {
    train: false,
    cards: { cameras: 5, shotsPerCamera: 62, burst: 5 },
  });
  const ids = unlabelledIds(db);
  const library = new LibraryPage(page);
  const label = new LabelPage(page);
  await library.show('Unlabelled');
  await library.expectShown(310);
  await library.tiles.first().click();
  await page.keyboard.press('Enter');
  await label.expectPosition(1);
  const keys = Array.from({ length: 300 }, (_, i) => String(1 + (i % 3)));
  for (const k of keys) await page.keyboard.press(k);
  await expect(label.unlabelled).toHaveText('10', { timeout: 60_000 });
  const classes = db.classes();
  const labels = db.labelMap();
  const got = ids.slice(0, 300).map((id) => labels.get(id));
  const want = keys.map((k) => classes.find((c) => c.hotkey === k)?.id);
  expect(got).toEqual(want);
  expect(ids.slice(300).every((id) => !labels.has(id))).toBe(true);
});
