import { expect, type Locator, type Page } from '@playwright/test';

/** The Library view: folders, import progress, counts and the image grid. */
export class LibraryPage {
  readonly grid: Locator;
  readonly roots: Locator;
  readonly tiles: Locator;
  readonly shown: Locator;
  readonly selection: Locator;
  readonly panels: Locator;
  readonly detector: Locator;

  constructor(private readonly page: Page) {
    this.grid = page.getByTestId('image-grid');
    this.roots = page.getByTestId('roots');
    this.tiles = this.grid.getByRole('gridcell');
    this.shown = page.getByTestId('shown-count');
    this.selection = page.getByTestId('selection-count');
    this.panels = page.getByRole('complementary', { name: /Classes, folders/ });
    this.detector = page.getByRole('combobox', { name: 'Detector' });
  }

  /** What sticks out past the right edge of the side panels (cut off there), as tag.class. */
  async panelsOverflow(): Promise<string[]> {
    return this.panels.evaluate((aside) => {
      const right = aside.getBoundingClientRect().right;
      return [...aside.querySelectorAll('*')]
        .filter((el) => el.getBoundingClientRect().right > right + 1)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    });
  }

  async addFolder(folder: string, labelsFromFolders = false): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Add folder' });
    await form.getByLabel('Folder to add').fill(folder);
    if (labelsFromFolders) await form.getByLabel('Labels from folder names').check();
    await form.getByRole('button', { name: 'Add folder' }).click();
  }

  count(name: 'total' | 'ok' | 'broken' | 'unsupported'): Locator {
    return this.page.getByTestId(`count-${name}`);
  }

  tile(fileName: string): Locator {
    return this.grid.getByRole('gridcell', { name: fileName, exact: true });
  }

  /** Chooses what the grid shows by the option's label ("Unlabelled", "Class: fox"…). */
  async show(label: string): Promise<void> {
    await this.page.getByLabel('Show', { exact: true }).selectOption({ label });
  }

  async expectShown(n: number): Promise<void> {
    await expect(this.shown).toHaveText(`${n.toLocaleString('en-US')} shown`);
  }

  /** Image id of the tile with the focus ring. */
  async focusedId(): Promise<number> {
    return Number(await this.grid.locator('.focused').getAttribute('data-id'));
  }

  async expectThumbnailLoaded(fileName: string): Promise<void> {
    const img = this.tile(fileName).locator('img');
    await expect(img).toBeVisible();
    await expect
      .poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0);
  }
}
