import type {
  EpochMetrics,
  MetadataKey,
  RunSummary,
  TrainConfig,
  TrainPlan,
  TrainProgress,
} from '../../../../shared/types';
import { appState } from './app.svelte';

export interface BatchPoint {
  step: number;
  loss: number;
  accuracy: number;
}

/** Training: settings form, runs, and live metrics of the running run. */
class TrainState {
  config = $state<TrainConfig | null>(null);
  help = $state<Partial<Record<keyof TrainConfig, string>>>({});
  runs = $state<RunSummary[]>([]);
  /** The run whose charts are shown. */
  shownRun = $state<number | null>(null);
  batches = $state<BatchPoint[]>([]);
  epochs = $state<EpochMetrics[]>([]);
  compare = $state<number[]>([]);
  /** What a fine-tune run with the current settings would train. */
  plan = $state<TrainPlan | null>(null);
  planning = $state(false);
  /** Image metadata keys, each a possible split grouping (`meta:<key>`). */
  metadataKeys = $state<MetadataKey[]>([]);

  constructor() {
    appState.onStart((client) => {
      client.on('train:progress', (p) => this.onProgress(p));
      client.on('train:run', () => void this.refreshRuns());
      client.on('project:changed', () => {
        this.runs = [];
        this.batches = [];
        this.epochs = [];
        this.shownRun = null;
      });
    });
  }

  async load(): Promise<void> {
    if (!appState.project) return;
    try {
      const d = await appState.api().train.defaults();
      if (!this.config || !this.config.baseModel) this.config = d.config;
      this.help = d.help;
      this.metadataKeys = await appState.api().library.metadataKeys();
      await this.refreshRuns();
    } catch (err) {
      appState.report(err);
    }
  }

  async refreshRuns(): Promise<void> {
    try {
      this.runs = await appState.api().train.runs();
      if (this.shownRun === null && this.runs[0]) this.show(this.runs[0].id);
      const shown = this.runs.find((r) => r.id === this.shownRun);
      if (shown && shown.status !== 'running') this.epochs = shown.history;
    } catch (err) {
      appState.report(err);
    }
  }

  show(runId: number): void {
    this.shownRun = runId;
    const run = this.runs.find((r) => r.id === runId);
    this.epochs = run?.history ?? [];
    this.batches = [];
  }

  toggleCompare(runId: number): void {
    this.compare = this.compare.includes(runId)
      ? this.compare.filter((r) => r !== runId)
      : [...this.compare, runId];
  }

  async loadPlan(baseModel: string | null): Promise<void> {
    const cfg = this.config;
    if (!cfg) return;
    this.planning = true;
    try {
      await appState.guard(async () => {
        this.plan = await appState
          .api()
          .train.plan({ ...$state.snapshot(cfg), baseModel: baseModel ?? cfg.baseModel });
      });
    } finally {
      this.planning = false;
    }
  }

  async start(baseModel: string | null): Promise<void> {
    const cfg = this.config;
    if (!cfg) return;
    const config = { ...$state.snapshot(cfg), baseModel: baseModel ?? cfg.baseModel };
    await appState.guard(async () => {
      const run = await appState.api().train.start(config);
      this.shownRun = run.id;
      this.batches = [];
      this.epochs = [];
      await this.refreshRuns();
    });
  }

  private onProgress(p: TrainProgress): void {
    if (this.shownRun !== p.runId) return;
    if (p.epochMetrics) {
      this.epochs = [...this.epochs, p.epochMetrics];
      return;
    }
    const step = (p.epoch - 1) * p.batches + p.batch;
    // Bounded: a point per batch up to a few thousand, which a chart draws in a frame.
    const next =
      this.batches.length > 4000 ? this.batches.filter((_, i) => i % 2 === 0) : this.batches;
    this.batches = [...next, { step, loss: p.loss, accuracy: p.accuracy }];
  }
}

export const training = new TrainState();
