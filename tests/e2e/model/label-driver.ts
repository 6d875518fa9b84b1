import { expect, type Locator, type Page } from '@playwright/test';
import type { Sort } from './label-model';

/** What the screen shows, read back after every action of the model-based test. */
export interface Observed {
  view: 'grid' | 'image';
  ids: number[];
  focused: number | null;
  selected: number[];
  current: number | null;
  position: string | null;
}

/**
 * Shift with a class hotkey as a real keyboard sends it: Shift+1 types "!" (a bare
 * `Shift+1` in Playwright sends "1" with Shift, which no keyboard does).
 */
export function shifted(hotkey: string): string {
  return `Shift+${/^[0-9]$/.test(hotkey) ? `Digit${hotkey}` : `Key${hotkey.toUpperCase()}`}`;
}

/**
 * The UI the model-based test drives: the grid, the image view, the suggestion controls and
 * the question asked before human labels are replaced. Waits on the app's aria-busy, never
 * on time.
 */
export class LabelDriver {
  readonly grid: Locator;
  readonly tiles: Locator;
  readonly dialog: Locator;

  constructor(private readonly page: Page) {
    this.grid = page.getByTestId('image-grid');
    this.tiles = this.grid.getByRole('gridcell');
    this.dialog = page.getByTestId('confirm-dialog');
  }

  /** Until nothing is loading, catching up or waiting in the label queue. */
  async settle(): Promise<void> {
    await expect(this.page.locator('[aria-busy="true"]')).toHaveCount(0, { timeout: 20_000 });
  }

  async showFilter(label: string): Promise<void> {
    await this.page.getByLabel('Show', { exact: true }).selectOption({ label });
  }

  async sortBy(sort: Sort): Promise<void> {
    await this.page.getByLabel('Sort').selectOption(sort);
  }

  async click(index: number, modifiers: ('Shift' | 'Control')[] = []): Promise<void> {
    await this.tiles.nth(index).click({ modifiers });
  }

  /** A key for the grid: the grid (or a tile in it) has the keyboard focus first. */
  async gridKey(key: string): Promise<void> {
    const inside = await this.grid.evaluate((g) => g.contains(document.activeElement));
    if (!inside) await this.grid.focus();
    await this.page.keyboard.press(key);
  }

  /** A key for the image view, which listens on the window: nothing else holds the focus. */
  async viewKey(key: string): Promise<void> {
    await this.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await this.page.keyboard.press(key);
  }

  /** Ticks or unticks "Class keys label the whole burst" in the image view. */
  async toggleBurst(): Promise<void> {
    const box = this.page.getByTestId('burst-mode');
    await box.setChecked(!(await box.isChecked()));
  }

  /** Answers the question asked before human labels of another class are replaced. */
  async answer(yes: boolean): Promise<void> {
    await expect(this.dialog).toBeVisible();
    // The go-ahead button names what it does: "Replace 3 human labels", "Remove from 3 images".
    await this.dialog
      .getByRole('button', { name: yes ? /^(Replace|Remove|Clear)/ : 'Cancel' })
      .click();
    await expect(this.dialog).toBeHidden();
  }

  async expectNoQuestion(): Promise<void> {
    await expect(this.dialog).toHaveCount(0);
  }

  /** Bulk accept at a threshold (%): the count the app offers, then accepted (or cancelled at 0). */
  async bulkAccept(percent: number, className: string | null): Promise<number> {
    await this.page.getByLabel('Bulk threshold (%)').fill(String(percent));
    await this.page
      .getByLabel('Bulk accept class')
      .selectOption(className === null ? { label: 'any class' } : { label: className });
    await this.page.getByTestId('bulk-accept').click();
    const offer = this.page.getByTestId('bulk-confirm');
    await expect(offer).toBeVisible();
    const n = Number(/Label ([\d,]+) image/.exec((await offer.textContent()) ?? '')?.[1] ?? NaN);
    const bar = offer.locator('..');
    await bar.getByRole('button', { name: n === 0 ? 'Cancel' : 'Accept', exact: true }).click();
    return n;
  }

  /** More like this from the image view: the ids the grid then shows, in order. */
  async moreLikeThis(): Promise<number[]> {
    await this.page.getByTestId('more-like-this').click();
    await expect(this.page.getByTestId('similar-note')).toBeVisible();
    await this.settle();
    return this.gridIds();
  }

  async includeHuman(on: boolean): Promise<void> {
    await this.page.getByTestId('similar-include-human').setChecked(on);
  }

  async gridIds(): Promise<number[]> {
    return this.tiles.evaluateAll((els) =>
      els.map((e) => Number((e as HTMLElement).dataset['id'])),
    );
  }

  async observe(): Promise<Observed> {
    const inGrid = (await this.grid.count()) > 0;
    if (inGrid) {
      const cells = await this.tiles.evaluateAll((els) =>
        els.map((e) => ({
          id: Number((e as HTMLElement).dataset['id']),
          focused: e.classList.contains('focused'),
          selected: e.getAttribute('aria-selected') === 'true',
        })),
      );
      return {
        view: 'grid',
        ids: cells.map((c) => c.id),
        focused: cells.find((c) => c.focused)?.id ?? null,
        selected: cells
          .filter((c) => c.selected)
          .map((c) => c.id)
          .sort((a, b) => a - b),
        current: null,
        position: null,
      };
    }
    const path = this.page.getByTestId('current-path');
    const current = await path.getAttribute('data-id');
    return {
      view: 'image',
      ids: [],
      focused: null,
      selected: [],
      current: current === null ? null : Number(current),
      position: (await this.page.getByTestId('position').textContent())?.trim() ?? null,
    };
  }
}
