import type {
  EpochMetrics,
  MetadataKey,
  RunSummary,
  TrainConfig,
  TrainPlan,
  TrainProgress,
} from '../../../../shared/types';
import type { AppState } from './app.svelte';
import type { MlState } from './ml.svelte';

export interface BatchPoint {
  step: number;
  loss: number;
  accuracy: number;
}

const DRAFT_KEY = 'ocellus.train-draft';

interface Draft {
  project: string;
  config: TrainConfig;
  title: string;
  advanced: boolean;
}

/** Training: settings form, runs, and live metrics of the running run. */
export class TrainState {
  readonly #app: AppState;
  readonly #ml: MlState;

  #config = $state<TrainConfig | null>(null);
  get config(): TrainConfig | null {
    return this.#config;
  }

  /** The defaults, to tell which settings were changed. */
  #defaults = $state<TrainConfig | null>(null);
  get defaults(): TrainConfig | null {
    return this.#defaults;
  }

  #help = $state<Partial<Record<keyof TrainConfig, string>>>({});
  get help(): Partial<Record<keyof TrainConfig, string>> {
    return this.#help;
  }

  /** Title of the next run (optional). */
  #title = $state('');
  get title(): string {
    return this.#title;
  }
  set title(value: string) {
    this.#title = value;
  }

  /** The "Advanced" settings are open. */
  #advanced = $state(false);
  get advanced(): boolean {
    return this.#advanced;
  }
  set advanced(value: boolean) {
    this.#advanced = value;
  }

  #runs = $state<RunSummary[]>([]);
  get runs(): RunSummary[] {
    return this.#runs;
  }

  /** The run whose charts are shown. */
  #shownRun = $state<number | null>(null);
  get shownRun(): number | null {
    return this.#shownRun;
  }

  #batches = $state<BatchPoint[]>([]);
  get batches(): BatchPoint[] {
    return this.#batches;
  }

  #epochs = $state<EpochMetrics[]>([]);
  get epochs(): EpochMetrics[] {
    return this.#epochs;
  }

  #compare = $state<number[]>([]);
  get compare(): number[] {
    return this.#compare;
  }

  /** What a fine-tune run with the current settings would train. */
  #plan = $state<TrainPlan | null>(null);
  get plan(): TrainPlan | null {
    return this.#plan;
  }

  #planning = $state(false);
  get planning(): boolean {
    return this.#planning;
  }

  /** Image metadata keys, each a possible split grouping (`meta:<key>`). */
  #metadataKeys = $state<MetadataKey[]>([]);
  get metadataKeys(): MetadataKey[] {
    return this.#metadataKeys;
  }

  constructor(app: AppState, ml: MlState) {
    this.#app = app;
    this.#ml = ml;
    this.#app.onStart((client) => {
      client.on('train:progress', (p) => this.onProgress(p));
      client.on('train:run', () => void this.refreshRuns());
      client.on('project:changed', () => {
        this.#runs = [];
        this.#batches = [];
        this.#epochs = [];
        this.#shownRun = null;
        this.#config = null;
        this.#title = '';
        this.#plan = null;
      });
    });
  }

  /** Runs whose split was asked for once while they train (bookkeeping, nothing shows it). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- never read by the UI, so it needs no reactivity.
  readonly #countsAsked = new Set<number>();

  /** The run training now, if any. */
  get running(): RunSummary | undefined {
    return this.#runs.find((r) => r.status === 'running');
  }

  /**
   * Loads defaults and runs. The form shows, in this order: the settings of the run that is
   * training (so a reload mid-run shows what is running), the unsent form of this tab, the
   * defaults.
   */
  async load(): Promise<void> {
    if (!this.#app.project) return;
    try {
      const d = await this.#app.api().train.defaults();
      this.#defaults = d.config;
      this.#help = d.help;
      this.#metadataKeys = await this.#app.api().library.metadataKeys();
      await this.refreshRuns();
      if (this.#config && this.#config.baseModel) return;
      const running = this.running;
      const draft = this.readDraft();
      if (running) {
        this.#config = structuredClone($state.snapshot(running.config));
        this.#title = running.title ?? '';
        this.#advanced = draft?.advanced ?? false;
      } else if (draft) {
        this.#config = draft.config;
        this.#title = draft.title;
        this.#advanced = draft.advanced;
      } else {
        this.#config = d.config;
      }
      if (this.#config.baseModel) this.#ml.select(this.#config.baseModel);
    } catch (err) {
      this.#app.report(err);
    }
  }

  /** Keeps the form of this tab across a reload (the session's storage, one project). */
  saveDraft(): void {
    const project = this.#app.project?.path;
    if (!project || !this.#config) return;
    const draft: Draft = {
      project,
      config: $state.snapshot(this.#config),
      title: this.#title,
      advanced: this.#advanced,
    };
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    } catch {
      // Storage full or disabled: the form simply starts from the defaults next time.
    }
  }

  private readDraft(): Draft | null {
    try {
      const raw = sessionStorage.getItem(DRAFT_KEY);
      const draft = raw ? (JSON.parse(raw) as Draft) : null;
      return draft && draft.project === this.#app.project?.path && draft.config ? draft : null;
    } catch {
      return null;
    }
  }

  /** Puts every setting back to its default (the base model stays). */
  resetAdvanced(): void {
    if (!this.#defaults || !this.#config) return;
    this.#config = {
      ...structuredClone($state.snapshot(this.#defaults)),
      baseModel: this.#config.baseModel,
      mode: this.#config.mode,
    };
  }

  /** Settings that differ from the defaults (base model and mode aside). */
  get changed(): (keyof TrainConfig)[] {
    const c = this.#config;
    const d = this.#defaults;
    if (!c || !d) return [];
    return (Object.keys(d) as (keyof TrainConfig)[]).filter(
      (k) => k !== 'baseModel' && k !== 'mode' && JSON.stringify(c[k]) !== JSON.stringify(d[k]),
    );
  }

  async refreshRuns(): Promise<void> {
    try {
      this.#runs = await this.#app.api().train.runs();
      const running = this.running;
      if (running && this.#shownRun !== running.id && this.#shownRun === null)
        this.show(running.id);
      if (this.#shownRun === null && this.#runs[0]) this.show(this.#runs[0].id);
      const shown = this.#runs.find((r) => r.id === this.#shownRun);
      if (shown && shown.status !== 'running') this.#epochs = shown.history;
      else if (shown && this.#epochs.length < shown.history.length) this.#epochs = shown.history;
    } catch (err) {
      this.#app.report(err);
    }
  }

  show(runId: number): void {
    this.#shownRun = runId;
    const run = this.#runs.find((r) => r.id === runId);
    this.#epochs = run?.history ?? [];
    this.#batches = [];
  }

  toggleCompare(runId: number): void {
    this.#compare = this.#compare.includes(runId)
      ? this.#compare.filter((r) => r !== runId)
      : [...this.#compare, runId];
  }

  async loadPlan(baseModel: string | null): Promise<void> {
    const cfg = this.#config;
    if (!cfg) return;
    this.#planning = true;
    try {
      await this.#app.guard(async () => {
        this.#plan = await this.#app
          .api()
          .train.plan({ ...$state.snapshot(cfg), baseModel: baseModel ?? cfg.baseModel });
      });
    } finally {
      this.#planning = false;
    }
  }

  async start(baseModel: string | null): Promise<void> {
    const cfg = this.#config;
    if (!cfg) return;
    const config = { ...$state.snapshot(cfg), baseModel: baseModel ?? cfg.baseModel };
    await this.startWith(config, this.#title);
  }

  /** Trains again with a run's settings (after labels were fixed), under the same title. */
  async retrain(run: RunSummary): Promise<boolean> {
    this.#app.view = 'train';
    return this.startWith(
      structuredClone($state.snapshot(run.config)),
      run.title ?? `Retrain of #${run.id}`,
    );
  }

  async setTitle(runId: number, title: string): Promise<void> {
    await this.#app.guard(() => this.#app.api().train.setTitle(runId, title.trim() || null));
  }

  private async startWith(config: TrainConfig, title: string): Promise<boolean> {
    return this.#app.guard(async () => {
      const run = await this.#app.api().train.start(config, { title: title.trim() || null });
      this.#shownRun = run.id;
      this.#batches = [];
      this.#epochs = [];
      await this.refreshRuns();
    });
  }

  private onProgress(p: TrainProgress): void {
    // The split is known once batches flow: the runs table said "0 / 0" images until the end.
    const listed = this.#runs.find((r) => r.id === p.runId);
    if (listed && listed.counts.train === 0 && !this.#countsAsked.has(p.runId)) {
      this.#countsAsked.add(p.runId);
      void this.refreshRuns();
    }
    if (this.#shownRun === null && this.running?.id === p.runId) this.#shownRun = p.runId;
    if (this.#shownRun !== p.runId) return;
    if (p.epochMetrics) {
      const m = p.epochMetrics;
      this.#epochs = [...this.#epochs.filter((e) => e.epoch !== m.epoch), m];
      return;
    }
    const step = (p.epoch - 1) * p.batches + p.batch;
    // Bounded: a point per batch up to a few thousand, which a chart draws in a frame.
    const next =
      this.#batches.length > 4000 ? this.#batches.filter((_, i) => i % 2 === 0) : this.#batches;
    this.#batches = [...next, { step, loss: p.loss, accuracy: p.accuracy }];
  }
}
