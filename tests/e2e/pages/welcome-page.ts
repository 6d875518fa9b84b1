import { expect, type Locator, type Page } from '@playwright/test';

/** The welcome screen: new project, open project, recent projects. */
export class WelcomePage {
  readonly heading: Locator;
  readonly newForm: Locator;
  readonly openForm: Locator;
  readonly recentList: Locator;

  constructor(private readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Ocellus', level: 1 });
    this.newForm = page.getByRole('form', { name: 'New project' });
    this.openForm = page.getByRole('form', { name: 'Open project' });
    this.recentList = page.getByTestId('recent-projects');
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.heading).toBeVisible();
  }

  async createProject(name: string, folder?: string): Promise<void> {
    await this.newForm.getByLabel('Name').fill(name);
    if (folder !== undefined) await this.newForm.getByLabel('Folder').fill(folder);
    await this.newForm.getByRole('button', { name: 'Create project' }).click();
  }

  async openPath(file: string): Promise<void> {
    await this.openForm.getByLabel('Project file').fill(file);
    await this.openForm.getByRole('button', { name: 'Open', exact: true }).click();
  }

  recentEntry(name: string): Locator {
    return this.recentList.getByRole('button', { name: new RegExp(`^${name}`) });
  }
}
