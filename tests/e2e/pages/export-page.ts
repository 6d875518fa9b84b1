import { expect, type Locator, type Page } from '@playwright/test';

/** The Export view. */
export class ExportPage {
  readonly destination: Locator;
  readonly history: Locator;
  readonly job: Locator;
  readonly privacyOptions: Locator;

  constructor(private readonly page: Page) {
    this.destination = page.getByTestId('export-destination');
    this.history = page.getByTestId('export-history');
    this.job = page.getByTestId('export-job');
    this.privacyOptions = page.getByTestId('privacy-options');
  }

  async exportTo(folder: string, button: string): Promise<void> {
    await this.destination.fill(folder);
    await this.page.getByRole('button', { name: button }).click();
  }

  /** The Camtrap DP mapping's two controls for a class, the table unfolded. */
  async camtrapMapping(className: string): Promise<{ type: Locator; scientificName: Locator }> {
    const summary = this.page.getByText('Classes → Camtrap DP observations');
    if ((await summary.locator('..').getAttribute('open')) === null) await summary.click();
    return {
      type: this.page.getByRole('combobox', { name: `observationType of ${className}` }),
      scientificName: this.page.getByRole('textbox', { name: `scientificName of ${className}` }),
    };
  }

  async importLabels(file: string): Promise<Locator> {
    await this.page.getByTestId('import-path').fill(file);
    await this.page.getByRole('button', { name: 'Import', exact: true }).click();
    const result = this.page.getByTestId('import-result');
    await expect(result).toBeVisible();
    return result;
  }
}

/** index.html of an exported model bundle. */
export class BundlePage {
  readonly status: Locator;

  constructor(private readonly page: Page) {
    this.status = page.locator('#status');
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.page.locator('body[data-ready="true"]')).toBeAttached({ timeout: 30_000 });
  }

  /** Classifies one image file; resolves with the label shown (and the operating point's decision). */
  async classify(
    file: string,
  ): Promise<{ label: Locator; confidence: Locator; decision: Locator }> {
    await this.page.locator('#files').setInputFiles(file);
    const result = this.page.locator('.result').first();
    await expect(result.getByTestId('label')).toBeVisible();
    return {
      label: result.getByTestId('label'),
      confidence: result.getByTestId('confidence'),
      decision: result.getByTestId('decision'),
    };
  }
}
