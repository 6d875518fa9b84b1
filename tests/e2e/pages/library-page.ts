import { expect, type Locator, type Page } from '@playwright/test';

/** The Library view: folders, import progress, counts and the image grid. */
export class LibraryPage {
  readonly grid: Locator;
  readonly roots: Locator;

  constructor(private readonly page: Page) {
    this.grid = page.getByTestId('image-grid');
    this.roots = page.getByTestId('roots');
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

  async expectThumbnailLoaded(fileName: string): Promise<void> {
    const img = this.tile(fileName).locator('img');
    await expect(img).toBeVisible();
    await expect
      .poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0);
  }
}
