import { expect, type Locator, type Page } from '@playwright/test';

/** The Train view: base model choice, embeddings. */
export class TrainPage {
  readonly progress: Locator;
  readonly embeddingStatus: Locator;

  constructor(private readonly page: Page) {
    this.progress = page.getByTestId('ml-progress');
    this.embeddingStatus = page.getByTestId('embedding-status');
  }

  async importModel(folder: string): Promise<void> {
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
}

/** The training form, charts and runs table. */
export class TrainRunsPage {
  readonly runs: Locator;
  readonly charts: Locator;
  /** What the shown run is: its estimate, refit and warnings. */
  readonly estimate: Locator;

  constructor(private readonly page: Page) {
    this.runs = page.getByTestId('runs');
    this.charts = page.getByTestId('train-charts');
    this.estimate = page.getByTestId('run-estimate');
  }

  /** Switches to fine-tune mode and asks what will train. */
  async planFinetune(): Promise<Locator> {
    const form = this.page.getByRole('form', { name: 'Training settings' });
    await form.getByRole('combobox', { name: /^Mode/ }).selectOption('finetune');
    await form.getByRole('button', { name: 'What will train?' }).click();
    return this.page.getByTestId('train-plan');
  }

  /** Imports a base model in the Train view and trains a first run until it is done. */
  async importAndTrain(modelDir: string, epochs: number): Promise<void> {
    await new TrainPage(this.page).importModel(modelDir);
    await this.train(epochs);
    await expect(this.runs.getByTestId('run-status').first()).toHaveText('done', {
      timeout: 150_000,
    });
  }

  async train(epochs: number): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Training settings' });
    await form.getByRole('spinbutton', { name: /^Epochs/ }).fill(String(epochs));
    await form.getByRole('button', { name: 'Train', exact: true }).click();
  }
}
