import { expect, type Locator, type Page } from '@playwright/test';

/** Opens a <details> section when it is closed (clicking its summary). */
async function openDetails(details: Locator): Promise<void> {
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open)))
    await details.locator('summary').click();
}

/** The Train view: base model choice, embeddings. */
export class TrainPage {
  readonly progress: Locator;
  readonly embeddingStatus: Locator;
  readonly baseModel: Locator;

  constructor(private readonly page: Page) {
    this.progress = page.getByTestId('ml-progress');
    this.embeddingStatus = page.getByTestId('embedding-status');
    this.baseModel = page.getByRole('combobox', { name: 'Base model' });
  }

  async importModel(folder: string): Promise<void> {
    await openDetails(this.page.locator('details.more'));
    const form = this.page.getByRole('form', { name: 'Import model' });
    await form.getByLabel('Model folder or file to import').fill(folder);
    await form.getByRole('button', { name: 'Import model' }).click();
    await expect(this.page.getByTestId('model-facts')).toContainText('imported');
  }

  /** Imports a SavedModel folder: the form shows its signatures; picks one and confirms. */
  async importSavedModel(folder: string, signature: string): Promise<Locator> {
    const form = this.page.getByRole('form', { name: 'Import model' });
    await form.getByLabel('Model folder or file to import').fill(folder);
    await form.getByRole('button', { name: 'Import model' }).click();
    const choices = this.page.getByRole('form', { name: 'Import SavedModel' });
    await choices.getByLabel('Signature').selectOption(signature);
    await choices.getByRole('button', { name: 'Import SavedModel' }).click();
    return this.page.getByTestId('model-facts');
  }

  async computeEmbeddings(): Promise<void> {
    await this.page.getByRole('button', { name: 'Compute embeddings' }).click();
  }

  /** Chooses a zoo model that is not downloaded yet and presses Download. */
  async download(modelName: string): Promise<void> {
    await this.baseModel.selectOption({ label: `${modelName} — not downloaded` });
    await this.page.getByRole('button', { name: /^Download/ }).click();
  }
}

/** The training form, charts and runs table. */
export class TrainRunsPage {
  readonly form: Locator;
  readonly runs: Locator;
  readonly charts: Locator;
  /** What the shown run is: its estimate, refit and warnings. */
  readonly estimate: Locator;
  readonly trainButton: Locator;
  /** Why Train is disabled, said beside it. */
  readonly why: Locator;

  constructor(private readonly page: Page) {
    this.form = page.getByRole('form', { name: 'Training settings' });
    this.runs = page.getByTestId('runs');
    this.charts = page.getByTestId('train-charts');
    this.estimate = page.getByTestId('run-estimate');
    this.trainButton = this.form.getByRole('button', { name: 'Train', exact: true });
    this.why = page.getByTestId('train-why');
  }

  method(name: 'Fast' | 'Fine-tune'): Locator {
    return this.form.getByRole('radio', { name: new RegExp(`^${name}`) });
  }

  async openAdvanced(): Promise<void> {
    await openDetails(this.form.locator('details.advanced'));
  }

  epochs(): Locator {
    return this.form.getByRole('spinbutton', { name: /^Epochs/ });
  }

  /** Switches to fine-tuning and asks what will train. */
  async planFinetune(): Promise<Locator> {
    await this.method('Fine-tune').check();
    await this.openAdvanced();
    await this.form.getByRole('button', { name: 'What will train?' }).click();
    // Planning times one training step of the real network: slow on a busy machine.
    await expect(this.form.getByRole('button', { name: 'What will train?' })).toBeEnabled({
      timeout: 90_000,
    });
    return this.page.getByTestId('train-plan');
  }

  /** Imports a base model in the Train view and trains a first run until it is done. */
  async importAndTrain(modelDir: string, epochs: number, validationShare?: number): Promise<void> {
    await new TrainPage(this.page).importModel(modelDir);
    if (validationShare !== undefined) {
      await this.openAdvanced();
      await this.form
        .getByRole('spinbutton', { name: /^Validation share/ })
        .fill(String(validationShare));
    }
    await this.train(epochs);
    await expect(this.runs.getByTestId('run-status').first()).toHaveText('done', {
      timeout: 150_000,
    });
  }

  /** Sets the epochs under Advanced (and a title when given), then presses Train. */
  async train(epochs: number, title?: string): Promise<void> {
    await this.openAdvanced();
    await this.epochs().fill(String(epochs));
    if (title !== undefined) await this.form.getByTestId('run-title-input').fill(title);
    await this.trainButton.click();
  }

  /** Gives a run a title in the runs table. */
  async rename(runId: number, title: string): Promise<void> {
    await this.runs.getByRole('button', { name: `Rename run ${runId}` }).click();
    const input = this.runs.getByRole('textbox', { name: `Title of run ${runId}` });
    await input.fill(title);
    await input.press('Enter');
  }
}
