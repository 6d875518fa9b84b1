import { expect, type Locator, type Page } from '@playwright/test';

/** The Library's detection panel and the image view's boxes. */
export class DetectPage {
  readonly panel: Locator;
  readonly boxes: Locator;
  readonly boxPanel: Locator;
  /** The image's labels derived from its boxes. */
  readonly derivedLabels: Locator;

  constructor(private readonly page: Page) {
    this.panel = page.getByTestId('detect-panel');
    this.boxes = page.getByTestId('detection-box');
    this.boxPanel = page.getByTestId('box-panel');
    this.derivedLabels = page.getByTestId('derived-labels');
  }

  /** Runs the chosen detector and waits for its counts to show. */
  async run(): Promise<void> {
    await this.panel.getByTestId('detect-run').click();
    await expect(this.panel.getByTestId('detector-used')).toBeVisible({ timeout: 120_000 });
    await expect(this.panel.getByTestId('detect-progress')).toBeHidden({ timeout: 120_000 });
  }

  count(category: 'empty' | 'animal' | 'person' | 'vehicle'): Locator {
    return this.panel.getByTestId(`detect-count-${category}`);
  }

  /** Sets the threshold slider (0–1). */
  async setThreshold(value: number): Promise<void> {
    await this.panel.getByLabel('Detection threshold').fill(String(value));
    await expect(this.panel.getByTestId('threshold-value')).toHaveText(value.toFixed(2));
  }

  async show(category: 'empty' | 'animal' | 'person' | 'vehicle'): Promise<void> {
    await this.count(category).click();
  }

  /** Turns the boxes on the grid's tiles on or off. */
  async showTileBoxes(on: boolean): Promise<void> {
    await this.panel.getByTestId('tile-boxes-toggle').setChecked(on);
  }

  async markEmpty(): Promise<void> {
    await this.panel.getByTestId('mark-empty').click();
  }

  /** Draws a box by dragging from one fraction of the image to another. */
  async drawBox(from: [number, number], to: [number, number]): Promise<void> {
    await this.boxPanel.getByTestId('draw-box').click();
    const layer = this.page.getByTestId('draw-layer');
    const r = await layer.boundingBox();
    if (!r) throw new Error('No drawing layer');
    await this.page.mouse.move(r.x + from[0] * r.width, r.y + from[1] * r.height);
    await this.page.mouse.down();
    await this.page.mouse.move(r.x + to[0] * r.width, r.y + to[1] * r.height, { steps: 5 });
    await this.page.mouse.up();
  }

  /** Starts walking the least-sure boxes from the box panel. */
  async startBoxQueue(): Promise<void> {
    await this.boxPanel.getByTestId('box-queue-start').click();
  }

  /** "Box k of N: suggested …" while walking the least-sure boxes. */
  get queuePosition(): Locator {
    return this.boxPanel.getByTestId('box-queue-position');
  }

  async nextQueued(): Promise<void> {
    await this.boxPanel.getByTestId('box-queue-next').click();
  }
}
