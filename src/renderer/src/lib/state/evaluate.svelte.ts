import type {
  EvaluationReport,
  MisclassifiedImage,
  OperatingPoint,
  RunFreshness,
  RunSummary,
} from '../../../../shared/types';
import { debounced } from '../debounce';
import type { AppState } from './app.svelte';
import type { LabelsState } from './labels.svelte';

/** Evaluation of a run: its report, the live threshold, and the misclassification review. */
export class EvaluateState {
  readonly #app: AppState;
  readonly #labels: LabelsState;

  #runs = $state<RunSummary[]>([]);
  get runs(): RunSummary[] {
    return this.#runs;
  }

  #freshness = $state<RunFreshness[]>([]);
  get freshness(): RunFreshness[] {
    return this.#freshness;
  }

  #runId = $state<number | null>(null);
  get runId(): number | null {
    return this.#runId;
  }

  /** The user chose the run (a newer run does not replace the choice). */
  #picked = false;
  get picked(): boolean {
    return this.#picked;
  }
  set picked(value: boolean) {
    this.#picked = value;
  }

  #report = $state<EvaluationReport | null>(null);
  get report(): EvaluationReport | null {
    return this.#report;
  }

  #mistakes = $state<MisclassifiedImage[]>([]);
  get mistakes(): MisclassifiedImage[] {
    return this.#mistakes;
  }

  #positiveClass = $state<string | null>(null);
  get positiveClass(): string | null {
    return this.#positiveClass;
  }

  #threshold = $state(0.5);
  get threshold(): number {
    return this.#threshold;
  }

  #normalised = $state(false);
  get normalised(): boolean {
    return this.#normalised;
  }
  set normalised(value: boolean) {
    this.#normalised = value;
  }

  #loading = $state(false);
  get loading(): boolean {
    return this.#loading;
  }

  private readonly scheduleIntervals = debounced(() => void this.loadReport());
  private readonly scheduleFreshness = debounced(() => void this.loadFreshness());
  /** The figures and the review follow the current labels (a fix, an undo) without a reload. */
  private readonly scheduleReload = debounced(
    () => void Promise.all([this.loadReport(), this.loadMistakes()]),
  );

  constructor(app: AppState, labels: LabelsState) {
    this.#app = app;
    this.#labels = labels;
    this.#app.onStart((client) => {
      client.on('train:run', () => void this.loadRuns());
      // Only while it is shown: the view loads it again when it opens.
      client.on('labels:changed', () => {
        if (this.#app.view !== 'evaluate') return;
        this.scheduleFreshness(200);
        this.scheduleReload(300);
      });
      client.on('project:changed', () => {
        this.#runs = [];
        this.#freshness = [];
        this.#runId = null;
        this.#picked = false;
        this.#report = null;
        this.#mistakes = [];
      });
    });
  }

  /** The selected run's label state. */
  get stale(): RunFreshness | undefined {
    return this.#freshness.find((f) => f.runId === this.#runId);
  }

  async loadRuns(): Promise<void> {
    if (!this.#app.project) return;
    try {
      this.#runs = (await this.#app.api().train.runs()).filter((r) => r.status === 'done');
      await this.loadFreshness();
      // The newest finished run, until the user picks one.
      const newest = this.#runs[0];
      if (newest && (!this.#picked || !this.#runs.some((r) => r.id === this.#runId)))
        if (newest.id !== this.#runId) await this.select(newest.id);
    } catch (err) {
      this.#app.report(err);
    }
  }

  async select(runId: number): Promise<void> {
    this.#runId = runId;
    this.#positiveClass = null;
    this.#threshold = 0.5;
    this.#report = null;
    this.#mistakes = [];
    await this.loadReport();
    await this.loadMistakes();
  }

  async setPositive(name: string): Promise<void> {
    this.#positiveClass = name;
    await this.loadReport();
  }

  /** Moves the threshold: figures follow at once, their intervals after a pause. */
  setThreshold(t: number): void {
    this.#threshold = t;
    this.scheduleIntervals(400);
  }

  /** Figures at the slider's threshold, looked up among the report's operating points. */
  get live(): OperatingPoint | null {
    const b = this.#report?.binary;
    if (!b) return null;
    // Points run from the highest threshold down; the one that applies is the last ≥ t.
    let found: OperatingPoint | null = null;
    for (const p of b.operatingPoints) {
      if (p.threshold >= this.#threshold) found = p;
      else break;
    }
    if (found) return { ...found, threshold: this.#threshold };
    return {
      threshold: this.#threshold,
      tp: 0,
      fp: 0,
      tn: b.negatives,
      fn: b.positives,
      sensitivity: b.positives > 0 ? 0 : null,
      specificity: b.negatives > 0 ? 1 : null,
      ppv: null,
      npv: b.positives + b.negatives > 0 ? b.negatives / (b.positives + b.negatives) : null,
    };
  }

  async loadReport(): Promise<void> {
    const runId = this.#runId;
    if (runId === null) return;
    this.#loading = true;
    try {
      const report = await this.#app.api().evaluate.run(runId, {
        threshold: this.#threshold,
        ...(this.#positiveClass ? { positiveClass: this.#positiveClass } : {}),
      });
      if (this.#runId === runId) this.#report = report;
    } catch (err) {
      this.#app.report(err);
    } finally {
      this.#loading = false;
    }
  }

  async loadMistakes(): Promise<void> {
    const runId = this.#runId;
    if (runId === null) return;
    try {
      const list = await this.#app.api().evaluate.misclassified(runId);
      if (this.#runId === runId) this.#mistakes = list;
    } catch (err) {
      this.#app.report(err);
    }
  }

  async loadFreshness(): Promise<void> {
    if (!this.#app.project) return;
    try {
      this.#freshness = await this.#app.api().evaluate.runs();
    } catch (err) {
      this.#app.report(err);
    }
  }

  /** Gives a reviewed image the class of a hotkey; the item stays, marked relabelled. */
  async fix(item: MisclassifiedImage, key: string): Promise<boolean> {
    const cls = this.#labels.byHotkey(key);
    if (!cls) return false;
    const ok = await this.#labels.assign([item.imageId], cls.id);
    if (ok) {
      this.#mistakes = this.#mistakes.map((m) =>
        m.imageId === item.imageId
          ? {
              ...m,
              trueClass: cls.name,
              relabelled: m.runClass !== null && m.runClass !== cls.name,
            }
          : m,
      );
      await this.loadFreshness();
    }
    return ok;
  }

  thumbUrl(item: MisclassifiedImage): string {
    return this.#app.api().mediaUrl('thumb', item.imageId, item.thumbVersion);
  }
}
