import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { Page } from '@playwright/test';
import { expect, startServer, stopServer, test } from './fixtures';
import { BundlePage } from './pages/export-page';
import { JobsPage } from './pages/jobs-page';
import { LibraryPage } from './pages/library-page';
import { ProjectPage } from './pages/project-page';
import { TrainPage, TrainRunsPage } from './pages/train-page';
import { trainedProject } from './trained-project';
import { unreachableZoo } from './unreachable-zoo';

/**
 * Screenshots of every view at two window sizes in both themes, written to
 * test-results/screenshots/ for people to look at (CI keeps them as artefacts). The test
 * checks only that each view rendered; the pictures are for human eyes.
 */
const OUT = path.resolve('test-results/screenshots');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
] as const;
const THEMES = ['dark', 'light'] as const;

/** A scene: a warm or cool gradient with a dark shape, so thumbnails look like photos. */
async function scene(file: string, warm: boolean, i: number, w: number, h: number) {
  const [a, b] = warm ? ['#f2a65a', '#b8322a'] : ['#7cc6f2', '#1f4e9c'];
  const cx = 30 + ((i * 37) % 40);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 100 75">
    <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${a}"/><stop offset="1" stop-color="${b}"/></linearGradient></defs>
    <rect width="100" height="75" fill="url(#g)"/>
    <rect y="55" width="100" height="20" fill="#2d3b2a" opacity="0.8"/>
    <ellipse cx="${cx}" cy="52" rx="${8 + (i % 4) * 2}" ry="6" fill="#1b1b1b"/>
    <circle cx="${cx + 9}" cy="46" r="3.5" fill="#1b1b1b"/></svg>`;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toFile(file);
}

async function photos(dir: string): Promise<void> {
  for (let i = 0; i < 14; i++) {
    await scene(path.join(dir, 'dusk', `dusk-${i}.jpg`), true, i, 320, 240);
    await scene(path.join(dir, 'day', `day-${i}.jpg`), false, i, 320, 240);
  }
  // A tiny original (first in the grid): the image view enlarges it to fit.
  await scene(path.join(dir, 'day', 'a-tiny.jpg'), false, 5, 32, 24);
}

async function shoot(page: Page, name: string): Promise<void> {
  // Fonts settle before the picture is taken.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
}

test('screenshots of every view at 1280×800 and 1920×1080, dark and light', async ({
  page,
  workDir,
}) => {
  test.setTimeout(300_000);
  const cli = await trainedProject(workDir, { photos });
  await cli(['export', 'c.ocellus', '--out', 'bundle']);
  const zoo = await unreachableZoo(workDir);
  const { server, child } = await startServer(
    workDir,
    ['--project', path.join(workDir, 'c.ocellus')],
    { OCELLUS_RESOURCES: zoo.resources },
  );
  try {
    const project = new ProjectPage(page);
    const train = new TrainPage(page);
    const runs = new TrainRunsPage(page);
    const jobs = new JobsPage(page);
    const library = new LibraryPage(page);
    await page.setViewportSize(SIZES[0]);
    await page.goto(server.url);
    // A run trained in the app (suggestions and heat maps follow), and a failed download.
    await project.goToView('Train');
    await runs.train(30, 'dusk or day');
    await expect(runs.runs.locator('tr[data-run="2"]').getByTestId('run-status')).toHaveText(
      'done',
      { timeout: 60_000 },
    );
    await train.download(zoo.modelName);
    await expect(jobs.outcome).toBeVisible();
    await shoot(page, 'dark-1280x800-3c-train-failed-download');
    // Read: the failure's toast goes (the jobs panel keeps it); good news fades by itself.
    await jobs.toasts
      .filter({ hasText: 'Failed' })
      .getByRole('button', { name: 'Details' })
      .click();
    await page.keyboard.press('Escape');
    await expect(jobs.toasts).toHaveCount(0);
    await train.baseModel.selectOption({ label: 'tiny' });

    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme });
      for (const size of SIZES) {
        await page.setViewportSize(size);
        const tag = `${theme}-${size.width}x${size.height}`;
        await project.goToView('Library');
        await expect(page.getByTestId('image-grid').getByRole('gridcell').first()).toBeVisible();
        // Nothing in the side panels (suggestions, detection) is cut off at the column's edge.
        await expect(library.panels.getByTestId('suggestion-counts')).toBeVisible();
        expect(await library.panelsOverflow()).toEqual([]);
        await shoot(page, `${tag}-1-library`);
        await page
          .getByTestId('image-grid')
          .getByRole('gridcell', { name: 'a-tiny.jpg' })
          .dblclick();
        await expect(page.getByTestId('current-path')).toHaveText(/a-tiny\.jpg$/);
        await page.getByTestId('show-heat-map').click();
        await expect(page.getByTestId('heat-map')).toBeAttached();
        await shoot(page, `${tag}-2-image-view`);
        await page.getByRole('button', { name: 'Hide heat map' }).click();
        await project.goToView('Train');
        await expect(page.getByTestId('train-charts')).toBeVisible();
        await shoot(page, `${tag}-3-train`);
        await project.goToView('Evaluate');
        await expect(page.getByTestId('accuracy')).toBeVisible();
        await shoot(page, `${tag}-4-evaluate`);
        await page.getByTestId('threshold-panel').scrollIntoViewIfNeeded();
        await shoot(page, `${tag}-4b-evaluate-curves`);
        await project.goToView('Export');
        await shoot(page, `${tag}-5-export`);
        await jobs.open();
        await shoot(page, `${tag}-6-jobs`);
        await page.keyboard.press('Escape');
        await project.close();
        await expect(page.getByRole('heading', { name: 'Ocellus', level: 1 })).toBeVisible();
        await shoot(page, `${tag}-0-welcome`);
        await page.getByTestId('recent-projects').getByRole('button').first().click();
        await project.expectOpen('c');
        // The exported model's offline page, with one image classified.
        const bundlePage = await page.context().newPage();
        await bundlePage.emulateMedia({ colorScheme: theme });
        await bundlePage.setViewportSize(size);
        const bp = new BundlePage(bundlePage);
        await bp.open(pathToFileURL(path.join(workDir, 'bundle', 'index.html')).href);
        await bp.classify(path.join(workDir, 'photos', 'dusk', 'dusk-1.jpg'));
        await shoot(bundlePage, `${tag}-7-bundle-page`);
        await bundlePage.close();
      }
    }
  } finally {
    await stopServer(child);
    await zoo.close();
  }
});
