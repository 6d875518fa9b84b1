/**
 * The Library view gives the grid the screen. At 1280×800 five full rows of 160-px tiles
 * (840 px with their gaps) cannot fit in 800 px: the grid gets the height left under the app
 * bar and the filter line, which shows four rows whole and the top of a fifth.
 */
import path from 'node:path';
import { writeCards } from './helpers/labelling-project';
import { expect, test } from './fixtures';
import { LibraryPage } from './pages/library-page';
import { WelcomePage } from './pages/welcome-page';

const SIZES = [
  { width: 1280, height: 800, visible: 5, full: 4 },
  { width: 1920, height: 1080, visible: 6, full: 5 },
];

for (const size of SIZES) {
  test(`the grid takes the height at ${size.width}×${size.height}; the panels fold away and come back by keyboard`, async ({
    page,
    ocellus,
  }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    const photos = path.join(ocellus.projectDir, 'cards');
    await writeCards(photos, { cameras: 2, shotsPerCamera: 60, burst: 5, size: 32 });
    const welcome = new WelcomePage(page);
    const library = new LibraryPage(page);
    await welcome.goto(ocellus.url);
    await welcome.createProject('Layout');
    await library.addFolder(photos);
    await library.expectShown(120);
    // Measured once the import is over: its progress bar sits above the grid while it runs.
    await expect(page.getByTestId('import-progress')).toHaveCount(0, { timeout: 120_000 });
    await expect(library.tiles.first()).toHaveCSS('height', '160px');

    const geometry = () =>
      library.grid.evaluate((grid) => {
        const box = grid.getBoundingClientRect();
        const tile = grid.querySelector('[role=gridcell]')?.getBoundingClientRect().height ?? 0;
        const tops = [...grid.querySelectorAll('[role=row]')].map(
          (r) => r.getBoundingClientRect().top,
        );
        return {
          height: box.height,
          visible: tops.filter((t) => t < box.bottom && t + tile > box.top).length,
          full: tops.filter((t) => t >= box.top - 1 && t + tile <= box.bottom + 1).length,
          columns: grid.querySelector('[role=row]')?.querySelectorAll('[role=gridcell]').length,
        };
      });
    const open = await geometry();
    expect(open.visible).toBeGreaterThanOrEqual(size.visible);
    expect(open.full).toBeGreaterThanOrEqual(size.full);
    expect(open.height).toBeGreaterThan(0.85 * size.height);

    // The side bar (classes, folders, statistics) folds away from the keyboard: more columns.
    const toggle = page.getByRole('button', { name: /Panels/ });
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    const panels = page.getByRole('complementary', { name: /Classes, folders/ });
    await expect(panels).toBeHidden();
    // The grid lays out its new width on its next resize callback.
    await expect.poll(async () => (await geometry()).columns).toBeGreaterThan(open.columns ?? 0);
    const closed = await geometry();
    expect(closed.visible).toBe(open.visible);
    await page.keyboard.press('Enter');
    await expect(panels).toBeVisible();
    await expect(panels.getByRole('form', { name: 'Add class' })).toBeVisible();

    // The grid takes the keys: Tab reaches it, arrows move the focus ring.
    await library.grid.focus();
    await page.keyboard.press('ArrowRight');
    await expect(library.tiles.nth(1)).toHaveClass(/focused/);
  });
}
