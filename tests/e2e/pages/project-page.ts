import { expect, type Locator, type Page } from '@playwright/test';

/** The app shell around an open project. */
export class ProjectPage {
  readonly name: Locator;
  readonly nav: Locator;
  readonly totalImages: Locator;

  constructor(private readonly page: Page) {
    this.name = page.getByTestId('project-name');
    this.nav = page.getByRole('navigation', { name: 'Views' });
    this.totalImages = page.getByTestId('count-total');
  }

  async expectOpen(name: string): Promise<void> {
    await expect(this.name).toHaveText(name);
  }

  async close(): Promise<void> {
    await this.page.getByRole('button', { name: 'Close project' }).click();
  }

  async goToView(title: string): Promise<void> {
    await this.nav.getByRole('button', { name: title }).click();
    await expect(this.page.getByRole('heading', { name: title, level: 2 })).toBeVisible();
  }
}
