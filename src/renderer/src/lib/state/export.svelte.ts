import type {
  CamtrapClassMapping,
  DatasetFormat,
  ExportKind,
  ExportRecord,
  JobInfo,
  LabelImportResult,
  RunFreshness,
  RunSummary,
} from '../../../../shared/types';
import type { AppState } from './app.svelte';
import type { LabelsState } from './labels.svelte';

/** Export view: destination, options, the running export, recent exports, label import. */
export class ExportState {
  readonly #app: AppState;
  readonly #labels: LabelsState;

  #destination = $state('');
  get destination(): string {
    return this.#destination;
  }
  set destination(value: string) {
    this.#destination = value;
  }

  #history = $state<ExportRecord[]>([]);
  get history(): ExportRecord[] {
    return this.#history;
  }

  #runs = $state<RunSummary[]>([]);
  get runs(): RunSummary[] {
    return this.#runs;
  }

  #runId = $state<number | null>(null);
  get runId(): number | null {
    return this.#runId;
  }
  set runId(value: number | null) {
    this.#runId = value;
  }

  /** The user chose the run (a new run does not replace the choice). */
  #picked = false;
  get picked(): boolean {
    return this.#picked;
  }
  set picked(value: boolean) {
    this.#picked = value;
  }

  /** The bundle detects first (detect → crop → classify) with the project's detector. */
  #detectFirst = $state(false);
  get detectFirst(): boolean {
    return this.#detectFirst;
  }
  set detectFirst(value: boolean) {
    this.#detectFirst = value;
  }

  #zip = $state(false);
  get zip(): boolean {
    return this.#zip;
  }
  set zip(value: boolean) {
    this.#zip = value;
  }

  #linkMode = $state<'copy' | 'hardlink'>('copy');
  get linkMode(): 'copy' | 'hardlink' {
    return this.#linkMode;
  }
  set linkMode(value: 'copy' | 'hardlink') {
    this.#linkMode = value;
  }

  #deploymentsBy = $state<'root' | 'camera'>('root');
  get deploymentsBy(): 'root' | 'camera' {
    return this.#deploymentsBy;
  }
  set deploymentsBy(value: 'root' | 'camera') {
    this.#deploymentsBy = value;
  }

  /** ImageFolder privacy: DICOM de-identified, photo metadata dropped, names pseudonymised. */
  readonly privacy = $state({ deidentify: false, stripMetadata: false, pseudonymiseNames: false });

  #timezone = $state('+00:00');
  get timezone(): string {
    return this.#timezone;
  }
  set timezone(value: string) {
    this.#timezone = value;
  }

  #mapping = $state<CamtrapClassMapping[]>([]);
  get mapping(): CamtrapClassMapping[] {
    return this.#mapping;
  }

  /** Whether each run's labels changed since it trained. */
  #freshness = $state<RunFreshness[]>([]);
  get freshness(): RunFreshness[] {
    return this.#freshness;
  }

  /** The job of the export started from this view. */
  #jobId = $state<string | null>(null);
  get jobId(): string | null {
    return this.#jobId;
  }

  #importPath = $state('');
  get importPath(): string {
    return this.#importPath;
  }
  set importPath(value: string) {
    this.#importPath = value;
  }

  #importResult = $state<LabelImportResult | null>(null);
  get importResult(): LabelImportResult | null {
    return this.#importResult;
  }

  constructor(app: AppState, labels: LabelsState) {
    this.#app = app;
    this.#labels = labels;
    this.#app.onStart((client) => {
      client.on('export:recorded', (rec) => {
        this.#history = [rec, ...this.#history.filter((h) => h.id !== rec.id)];
      });
      client.on('train:run', () => void this.refreshRuns());
      client.on('labels:changed', (c) => {
        if (c.classesChanged && this.#app.project) void this.refreshMapping();
        if (this.#app.project && this.#runs.length) void this.refreshFreshness();
      });
      client.on('project:changed', () => {
        this.#history = [];
        this.#runs = [];
        this.#runId = null;
        this.#picked = false;
        this.#importResult = null;
        this.#jobId = null;
      });
    });
  }

  get job(): JobInfo | undefined {
    return this.#app.jobs.find((j) => j.id === this.#jobId);
  }

  get canReveal(): boolean {
    return this.#app.info?.capabilities.revealInFolder === true;
  }

  /** The chosen run's label state, when its labels changed since it trained. */
  get stale(): RunFreshness | undefined {
    const f = this.#freshness.find((x) => x.runId === this.#runId);
    return f?.stale ? f : undefined;
  }

  get canChoose(): boolean {
    return this.#app.info?.capabilities.nativeDialogs === true;
  }

  async load(): Promise<void> {
    if (!this.#app.project) return;
    await this.#app.guard(async () => {
      const api = this.#app.api();
      const [history, mapping] = await Promise.all([
        api.export.history(),
        api.export.camtrapMapping(),
      ]);
      this.#history = history;
      this.#mapping = mapping;
      if (!this.#destination) this.#destination = parentOf(this.#app.project?.path ?? '');
      await this.refreshRuns();
    });
  }

  async refreshRuns(): Promise<void> {
    try {
      this.#runs = (await this.#app.api().train.runs()).filter((r) => r.status === 'done');
      // The newest finished run, until the user picks one.
      if (!this.#picked || !this.#runs.some((r) => r.id === this.#runId))
        this.#runId = this.#runs[0]?.id ?? null;
      await this.refreshFreshness();
    } catch (err) {
      this.#app.report(err);
    }
  }

  async refreshFreshness(): Promise<void> {
    try {
      this.#freshness = await this.#app.api().evaluate.runs();
    } catch (err) {
      this.#app.report(err);
    }
  }

  async refreshMapping(): Promise<void> {
    try {
      this.#mapping = await this.#app.api().export.camtrapMapping();
    } catch (err) {
      this.#app.report(err);
    }
  }

  async chooseDestination(): Promise<void> {
    await this.#app.guard(async () => {
      const dir = await this.#app.api().dialogs.chooseFolder('Export to…');
      if (dir) this.#destination = dir;
    });
  }

  /** A new folder inside the destination for one export, named after what it holds. */
  private target(kind: ExportKind): string {
    const stamp = timestamp();
    const name = (this.#app.project?.name ?? 'ocellus').replace(/[^\w.-]+/g, '-');
    const run = kind === 'bundle' && this.#runId !== null ? `-run${this.#runId}` : '';
    return joinPath(this.#destination.trim(), `${name}-${kind}${run}-${stamp}`);
  }

  async exportDataset(format: DatasetFormat): Promise<void> {
    await this.#app.guard(async () => {
      const job = await this.#app.api().export.dataset({
        format,
        out: this.target(format),
        linkMode: this.#linkMode,
        deploymentsBy: this.#deploymentsBy,
        timezone: this.#timezone,
        ...(format === 'imagefolder' ? { privacy: { ...this.privacy } } : {}),
      });
      this.#jobId = job.id;
    });
  }

  /** Exports the run's bundle; with "detect first", the given detector (id) and threshold go in. */
  async exportBundle(detector: { id: string; threshold: number } | null = null): Promise<void> {
    await this.#app.guard(async () => {
      const job = await this.#app.api().export.bundle({
        out: this.target('bundle'),
        runId: this.#runId ?? undefined,
        zip: this.#zip,
        // Unticked is said outright: a box run's bundle would otherwise detect by default.
        ...(this.#detectFirst && detector
          ? { detector: detector.id, detectorThreshold: detector.threshold }
          : { detector: null }),
      });
      this.#jobId = job.id;
    });
  }

  async saveMapping(entry: CamtrapClassMapping): Promise<void> {
    await this.#app.guard(async () => {
      this.#mapping = await this.#app.api().export.setCamtrapMapping([entry]);
    });
  }

  /** Imports a labels CSV; replacing human labels of another class asks first. */
  async importLabels(): Promise<void> {
    const file = this.#importPath.trim();
    if (!file) return;
    await this.#app.guard(async () => {
      let r = await this.#app.api().export.importLabels(file);
      const n = r.replacesHuman ?? 0;
      if (n > 0) {
        const yes = await this.#labels.ask(
          `This file would replace human labels of another class on ${n} image${n === 1 ? '' : 's'}. Import it anyway?`,
          `Replace ${n} human label${n === 1 ? '' : 's'}`,
        );
        if (!yes) return;
        r = await this.#app.api().export.importLabels(file, { replaceHuman: true });
      }
      this.#importResult = r;
    });
  }

  async reveal(path: string): Promise<void> {
    await this.#app.guard(() => this.#app.api().dialogs.showInFolder(path));
  }
}

/** Now as 20240131-235959 (UTC), for folder names. */
function timestamp(): string {
  return new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

function parentOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : p;
}

function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}
