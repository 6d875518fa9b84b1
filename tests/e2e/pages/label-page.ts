import { expect, type Locator, type Page } from '@playwright/test';

/** The classes sidebar and the image view. */
export class LabelPage {
  readonly classes: Locator;
  readonly position: Locator;
  readonly currentPath: Locator;
  readonly currentLabels: Locator;
  readonly unlabelled: Locator;
  readonly shortcuts: Locator;
  readonly advance: Locator;
  readonly lastAction: Locator;

  constructor(private readonly page: Page) {
    this.classes = page.getByTestId('classes');
    this.position = page.getByTestId('position');
    this.currentPath = page.getByTestId('current-path');
    this.currentLabels = page.getByTestId('current-labels');
    this.unlabelled = page.getByTestId('unlabelled-count');
    this.shortcuts = page.getByTestId('shortcuts');
    this.advance = page.getByLabel('Next image after labelling');
    this.lastAction = page.getByTestId('last-action');
  }

  /** Holds a key down as a keyboard does: the press, then `repeats` auto-repeats, then up. */
  async hold(key: string, repeats: number): Promise<void> {
    for (let i = 0; i <= repeats; i++) await this.page.keyboard.down(key);
    await this.page.keyboard.up(key);
  }

  async addClass(name: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Add class' });
    await form.getByLabel('New class name').fill(name);
    await form.getByRole('button', { name: 'Add' }).click();
    await expect(this.classes.getByRole('button', { name: name, exact: true })).toBeVisible();
  }

  classCount(name: string): Locator {
    return this.classes
      .locator('li', { has: this.page.getByRole('button', { name, exact: true }) })
      .getByTestId('class-count');
  }

  /** Answers the question before human labels are replaced: the button that goes ahead. */
  async confirm(button: RegExp): Promise<void> {
    const dialog = this.page.getByTestId('confirm-dialog');
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: button }).click();
    await expect(dialog).toBeHidden();
  }

  async expectPosition(n: number): Promise<void> {
    await expect(this.position).toHaveText(new RegExp(`^${n} / `));
  }
}
