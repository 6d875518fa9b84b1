import { expect, type Locator, type Page } from '@playwright/test';

/** Model suggestions: the assist bar above the grid and the suggestion panel of the image view. */
export class AssistPage {
  readonly counts: Locator;
  readonly shown: Locator;
  readonly tileSuggestions: Locator;
  readonly state: Locator;
  readonly suggestedClass: Locator;
  readonly heatMap: Locator;
  readonly quickRetrainState: Locator;
  readonly bulkButton: Locator;
  readonly bulkOffer: Locator;

  constructor(private readonly page: Page) {
    this.counts = page.getByTestId('suggestion-counts');
    this.shown = page.getByTestId('shown-count');
    this.tileSuggestions = page.getByTestId('image-grid').getByTestId('suggestion');
    this.state = page.getByTestId('suggestion-state');
    this.suggestedClass = page.getByTestId('suggested-class');
    this.heatMap = page.getByTestId('heat-map');
    this.quickRetrainState = page.getByTestId('quick-retrain-state');
    this.bulkButton = page.getByTestId('bulk-accept');
    this.bulkOffer = page.getByTestId('bulk-confirm');
  }

  /** A button of the bulk-accept offer ("Accept" or "Cancel"). */
  bulkAnswer(name: 'Accept' | 'Cancel'): Locator {
    return this.bulkOffer.locator('..').getByRole('button', { name, exact: true });
  }

  /** Waits until a run's suggestions are in: `n` images left to confirm. */
  async expectToConfirm(n: number, timeout = 60_000): Promise<void> {
    await expect(this.counts).toContainText(`${n} to confirm`, { timeout });
  }

  async setQuickRetrain(on: boolean): Promise<void> {
    await this.page.getByTestId('quick-retrain').setChecked(on);
  }

  /** The active-learning queue: unconfirmed suggestions, least sure first. */
  async openQueue(): Promise<void> {
    await this.page.getByTestId('open-queue').click();
    await expect(this.page.getByRole('combobox', { name: 'Sort' })).toHaveValue('uncertain');
  }

  /** Opens the first image of the grid in the image view. */
  async openFirst(): Promise<void> {
    await this.page.getByTestId('image-grid').getByRole('gridcell').first().dblclick();
    await expect(this.page.getByTestId('position')).toHaveText(/^1 \//);
  }

  async showHeatMap(): Promise<void> {
    await this.page.getByTestId('show-heat-map').click();
    await expect(this.heatMap).toBeVisible({ timeout: 60_000 });
  }

  async setHeatOpacity(value: number): Promise<void> {
    await this.page.getByLabel('Heat map opacity').fill(String(value));
  }

  /** "More like this" from the image view; lands in the grid with the results selected. */
  async moreLikeThis(): Promise<void> {
    await this.page.getByTestId('more-like-this').click();
    await expect(this.page.getByTestId('similar-note')).toBeVisible();
  }

  /** Accepts the shown image's suggestion with its key (twice when the model is unsure). */
  async acceptByKey(): Promise<void> {
    const status = this.page.getByTestId('last-action');
    const before = Number(await status.getAttribute('data-count'));
    await this.page.keyboard.press('Shift+Enter');
    await expect(status).not.toHaveAttribute('data-count', String(before));
    if (/again to accept/.test((await status.textContent()) ?? ''))
      await this.page.keyboard.press('Shift+Enter');
  }
}
