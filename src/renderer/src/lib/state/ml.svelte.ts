import type {
  BaseModelInfo,
  EmbeddingStatus,
  MlStatus,
  SavedModelChoice,
  SavedModelInfo,
} from '../../../../shared/types';
import type { AppState } from './app.svelte';

/** Machine-learning state: the backend, base models, and embeddings of the open project. */
export class MlState {
  readonly #app: AppState;

  #status = $state<MlStatus | null>(null);
  get status(): MlStatus | null {
    return this.#status;
  }

  #models = $state<BaseModelInfo[]>([]);
  get models(): BaseModelInfo[] {
    return this.#models;
  }

  #selected = $state<string | null>(null);
  get selected(): string | null {
    return this.#selected;
  }

  #embeddings = $state<EmbeddingStatus | null>(null);
  get embeddings(): EmbeddingStatus | null {
    return this.#embeddings;
  }

  constructor(app: AppState) {
    this.#app = app;
    this.#app.onStart((client) => {
      void this.refreshStatus();
      client.on('job:updated', (job) => {
        if ((job.kind === 'embed' || job.kind === 'download') && job.state !== 'running') {
          void this.refresh();
        } else if (job.kind === 'embed' || job.kind === 'train' || job.kind === 'predict') {
          // Training and suggestions embed what is missing first: the counter follows them
          // while they run (at most once a second) and once more when they end.
          if (job.state !== 'running') void this.refreshEmbeddings();
          else this.refreshSoon();
        }
      });
      client.on('project:changed', () => void this.refreshEmbeddings());
    });
  }

  #lastLive = 0;
  private liveTimer: ReturnType<typeof setTimeout> | null = null;

  /** Refreshes the embedding counter during a job, at most once a second. */
  private refreshSoon(): void {
    if (this.liveTimer) return;
    const wait = Math.max(0, this.#lastLive + 1000 - Date.now());
    this.liveTimer = setTimeout(() => {
      this.liveTimer = null;
      this.#lastLive = Date.now();
      void this.refreshEmbeddings();
    }, wait);
  }

  async refreshStatus(): Promise<void> {
    try {
      this.#status = await this.#app.api().ml.status();
    } catch (err) {
      this.#app.report(err);
    }
  }

  async refresh(): Promise<void> {
    try {
      this.#models = await this.#app.api().ml.models();
      if (!this.#selected || !this.#models.some((m) => m.id === this.#selected)) {
        this.#selected = this.#models.find((m) => m.available)?.id ?? this.#models[0]?.id ?? null;
      }
      await this.refreshEmbeddings();
    } catch (err) {
      this.#app.report(err);
    }
  }

  async refreshEmbeddings(): Promise<void> {
    const model = this.#models.find((m) => m.id === this.#selected);
    if (!this.#app.project || !model?.available) {
      this.#embeddings = null;
      return;
    }
    try {
      this.#embeddings = await this.#app.api().ml.embeddingStatus(model.id);
    } catch (err) {
      this.#embeddings = null;
      this.#app.report(err);
    }
  }

  select(id: string): void {
    this.#selected = id;
    void this.refreshEmbeddings();
  }

  /** A SavedModel folder being imported: what it offers, until the user confirms the choices. */
  #savedModel = $state<{ path: string; info: SavedModelInfo } | null>(null);
  get savedModel(): { path: string; info: SavedModelInfo } | null {
    return this.#savedModel;
  }

  async importModel(path: string, choice?: SavedModelChoice): Promise<void> {
    if (!path.trim()) {
      this.#app.error =
        'Enter the path of a model folder (model.json + weights, or a TensorFlow SavedModel) or an exported model file.';
      return;
    }
    let imported: BaseModelInfo | null = null;
    await this.#app.guard(async () => {
      const api = this.#app.api().ml;
      // A SavedModel first shows its signatures and outputs, so the user can choose.
      const info = choice ? null : await api.inspectSavedModel(path.trim());
      if (info) {
        this.#savedModel = { path: path.trim(), info };
        return;
      }
      imported = await api.importModel(path.trim(), choice);
      this.#savedModel = null;
    });
    const chosen = imported as BaseModelInfo | null;
    if (!chosen) return;
    await this.refresh();
    this.select(chosen.id);
  }

  cancelSavedModel(): void {
    this.#savedModel = null;
  }

  async setBackend(backend: 'tensorflow' | 'wasm' | 'cpu' | null): Promise<void> {
    await this.#app.guard(async () => {
      this.#status = await this.#app.api().ml.setBackend(backend);
    });
  }

  async download(id: string): Promise<void> {
    await this.#app.guard(() => this.#app.api().ml.downloadModel(id));
  }

  async embed(): Promise<void> {
    const id = this.#selected;
    if (!id) return;
    await this.#app.guard(() => this.#app.api().ml.embed(id));
  }
}
