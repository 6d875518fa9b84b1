import type { Locator, Page } from '@playwright/test';

/** How jobs end: the jobs panel, toasts, and the outcome note where a job was started. */
export class JobsPage {
  readonly button: Locator;
  readonly panel: Locator;
  readonly toasts: Locator;
  readonly outcome: Locator;

  constructor(private readonly page: Page) {
    this.button = page.getByTestId('jobs-button');
    this.panel = page.getByTestId('jobs-panel');
    this.toasts = page.getByTestId('toast');
    this.outcome = page.getByTestId('job-outcome');
  }

  async open(): Promise<void> {
    if (!(await this.panel.isVisible())) await this.button.click();
  }

  /** The panel's entry of a job, by its title. */
  job(title: string | RegExp): Locator {
    return this.panel.getByTestId('job').filter({ hasText: title });
  }
}
