import { type Download, type Locator, type Page } from '@playwright/test';

/** The Evaluate view: headline figures, confusion matrix, threshold slider, mistakes. */
export class EvaluatePage {
  readonly accuracy: Locator;
  readonly matrix: Locator;
  readonly slider: Locator;
  readonly thresholdValue: Locator;
  readonly sensitivity: Locator;
  readonly specificity: Locator;
  readonly mistakes: Locator;
  /** The "stale" marker of the chosen run. */
  readonly stale: Locator;
  readonly operatingPoint: Locator;
  readonly leakage: Locator;

  constructor(private readonly page: Page) {
    this.accuracy = page.getByTestId('accuracy');
    this.matrix = page.getByTestId('confusion-matrix');
    this.slider = page.getByRole('slider', { name: 'Threshold' });
    this.thresholdValue = page.getByTestId('threshold-value');
    this.sensitivity = page.getByTestId('fig-sensitivity');
    this.specificity = page.getByTestId('fig-specificity');
    this.mistakes = page.getByTestId('mistakes');
    this.stale = page.getByTestId('run-stale');
    this.operatingPoint = page.getByTestId('operating-point');
    this.leakage = page.getByTestId('leakage');
  }

  /** Fixes the run's operating point by a target in the Operating point panel. */
  async setOperatingPoint(
    by: 'sensitivity' | 'specificity' | 'threshold',
    value: string,
  ): Promise<void> {
    await this.operatingPoint.getByLabel('Target', { exact: true }).selectOption(by);
    await this.operatingPoint.getByLabel('Target value').fill(value);
    await this.operatingPoint.getByRole('button', { name: 'Set' }).click();
  }

  /** Runs the leakage check of the chosen run. */
  async checkLeakage(): Promise<void> {
    await this.leakage.getByRole('button', { name: 'Check' }).click();
  }

  /** The n-th image of the misclassification gallery (worst first). */
  mistake(n: number): Locator {
    return this.mistakes.locator(`[data-mistake="${n}"]`);
  }

  /** Sets the threshold slider by keyboard (End: 1.00, Home: 0.00, arrows: ±0.01). */
  async pressOnSlider(key: string): Promise<void> {
    await this.slider.focus();
    await this.slider.press(key);
  }

  /** Clicks a panel's CSV button and returns the download. */
  async downloadCsv(panel: 'headline' | 'confusion-matrix'): Promise<Download> {
    const scope =
      panel === 'headline'
        ? this.page.getByTestId('headline')
        : this.page.locator('.panel', { has: this.matrix });
    const wait = this.page.waitForEvent('download');
    await scope.getByRole('button', { name: 'CSV' }).first().click();
    return wait;
  }
}
