import type {
  BulkAcceptPreview,
  AssistSettings,
  HeatMap,
  PredictionDetail,
  PredictionStatus,
} from '../../../../shared/types';
import { debounced } from '../debounce';
import type { AppState } from './app.svelte';
import type { LabelsState } from './labels.svelte';
import type { LibraryState } from './library.svelte';

/** The key that accepts suggestions, as the status line names it. */
export const ACCEPT_KEY = 'Shift+Enter';

/** Model assistance: suggestion status, quick retrain, similar images and heat maps. */
export class AssistState {
  readonly #app: AppState;
  readonly #labels: LabelsState;
  readonly #library: LibraryState;

  #status = $state<PredictionStatus | null>(null);
  get status(): PredictionStatus | null {
    return this.#status;
  }

  #settings = $state<AssistSettings | null>(null);
  get settings(): AssistSettings | null {
    return this.#settings;
  }

  /** The shown image's suggestion with every class's probability. */
  #detail = $state<PredictionDetail | null>(null);
  get detail(): PredictionDetail | null {
    return this.#detail;
  }

  #heatMap = $state<HeatMap | null>(null);
  get heatMap(): HeatMap | null {
    return this.#heatMap;
  }

  #heatMapBusy = $state(false);
  get heatMapBusy(): boolean {
    return this.#heatMapBusy;
  }

  #heatOpacity = $state(0.5);
  get heatOpacity(): number {
    return this.#heatOpacity;
  }
  set heatOpacity(value: number) {
    this.#heatOpacity = value;
  }

  #similarBusy = $state(false);
  get similarBusy(): boolean {
    return this.#similarBusy;
  }

  /** "Found 48 similar in 12 ms (100,000 scanned)". */
  #similarNote = $state<string | null>(null);
  get similarNote(): string | null {
    return this.#similarNote;
  }

  /** More like this also selects images a human has labelled. */
  #similarIncludesHuman = $state(false);
  get similarIncludesHuman(): boolean {
    return this.#similarIncludesHuman;
  }

  private readonly scheduleStatus = debounced(() => void this.refreshStatus());

  constructor(app: AppState, labels: LabelsState, library: LibraryState) {
    this.#app = app;
    this.#labels = labels;
    this.#library = library;
    this.#app.onStart((client) => {
      if (this.#app.project) void this.refresh();
      client.on('assist:changed', (s) => {
        const newRun = s.runId !== this.#status?.runId;
        this.#status = s;
        // New suggestions: the tiles show them. An open uncertainty queue keeps its order
        // (it re-sorted under the user after every quick retrain) and says a new order waits.
        if (newRun) {
          this.#library.tiles.invalidate();
          if (this.#library.sort === 'uncertain') this.#queueStale = true;
          else this.#library.listing.reload();
        }
      });
      // Confirming changes the counts; the main side only pushes new suggestion sets.
      client.on('labels:changed', () => this.scheduleStatus(300));
      client.on('project:changed', (p) => {
        this.#status = null;
        this.#settings = null;
        this.#detail = null;
        this.#heatMap = null;
        this.#similarNote = null;
        // After the app state has taken the new project in (its listener may run later).
        if (p) queueMicrotask(() => void this.refresh());
      });
    });
  }

  async refresh(): Promise<void> {
    if (!this.#app.project) return;
    try {
      const api = this.#app.api();
      const [status, settings] = await Promise.all([api.assist.status(), api.assist.settings()]);
      this.#status = status;
      this.#settings = settings;
    } catch (err) {
      this.#app.report(err);
    }
  }

  private async refreshStatus(): Promise<void> {
    if (!this.#app.project) return;
    try {
      this.#status = await this.#app.api().assist.status();
    } catch (err) {
      this.#app.report(err);
    }
  }

  /** Loads the suggestion details of an image (the image view). */
  async loadDetail(imageId: number | null): Promise<void> {
    if (imageId === null || !this.#status?.runId) {
      this.#detail = null;
      return;
    }
    try {
      const d = await this.#app.api().assist.prediction(imageId);
      this.#detail = d;
    } catch (err) {
      this.#app.report(err);
    }
  }

  async setQuickRetrain(on: boolean): Promise<void> {
    await this.#app.guard(async () => {
      this.#settings = await this.#app.api().assist.updateSettings({ quickRetrain: on });
    });
  }

  /** How many suggestions a bulk accept at this confidence would confirm. */
  async bulkPreview(threshold: number, classId: number | null): Promise<BulkAcceptPreview | null> {
    try {
      return await this.#app.api().assist.bulkAcceptPreview(threshold, classId);
    } catch (err) {
      this.#app.report(err);
      return null;
    }
  }

  /**
   * Shows the images most like one in the grid and selects those no human has labelled
   * (all of them with the switch on), to label them in one go.
   */
  async showSimilar(imageId: number, k = 48): Promise<void> {
    this.#similarBusy = true;
    try {
      const res = await this.#app.api().assist.similar(imageId, k);
      this.#similarNote = `${res.items.length} most similar (${res.scanned.toLocaleString()} images scanned in ${res.milliseconds} ms)`;
      const ids = res.items.map((i) => i.imageId);
      this.#library.setFilter({ kind: 'similar', imageId, ids });
      this.#app.view = 'library';
      await this.selectSimilar();
    } catch (err) {
      this.#app.report(err);
    } finally {
      this.#similarBusy = false;
    }
  }

  /** Includes (or leaves out) human-labelled images in the selection of More like this. */
  async setSimilarIncludesHuman(on: boolean): Promise<void> {
    this.#similarIncludesHuman = on;
    if (this.#library.filter.kind === 'similar') await this.selectSimilar();
  }

  private async selectSimilar(): Promise<void> {
    const f = this.#library.filter;
    if (f.kind !== 'similar') return;
    const all = [f.imageId, ...f.ids];
    const ids = this.#similarIncludesHuman
      ? all
      : await this.#app.api().library.imageIds({ imageIds: all, humanLabelled: false });
    await this.#library.listing.whenComplete();
    this.#library.clearSelection();
    this.#library.select(ids);
  }

  /** The confidence (0–1) under which accepting a suggestion takes a second press. */
  get acceptTwiceBelow(): number {
    return this.#settings?.acceptTwiceBelow ?? 0.5;
  }

  async setAcceptTwiceBelow(percent: number): Promise<void> {
    const v = Math.max(0, Math.min(100, percent)) / 100;
    await this.#app.guard(async () => {
      this.#settings = await this.#app.api().assist.updateSettings({ acceptTwiceBelow: v });
    });
  }

  /**
   * Accepts the suggestions of these images, decided when the key is pressed: if any is
   * unsure (below the setting, or not loaded yet) the first press only says so and the
   * same press again accepts. In key order with every other label action. True when this
   * press accepts.
   */
  /** New suggestions arrived while the uncertainty queue was open: its order is the older run's. */
  #queueStale = $state(false);
  get queueStale(): boolean {
    return this.#queueStale;
  }

  /** Opens the uncertainty queue (again): unconfirmed suggestions, least sure first. */
  openQueue(): void {
    this.#queueStale = false;
    // The time as text at once: no Date object is kept to be reactive about.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    this.#library.setFilter({ kind: 'suggested', since: new Date().toISOString() });
    this.#library.setSort('uncertain');
  }

  accept(imageIds: number[]): boolean {
    if (imageIds.length === 0) {
      this.#labels.say('Nothing to accept: no image is focused or selected');
      return false;
    }
    const key = imageIds.join(',');
    if (!this.#labels.pressAccept(key, this.unsure(imageIds))) return false;
    // What the tiles show now: an image whose suggestion changes before the write (a quick
    // retrain) is left alone rather than given a class the user never saw.
    const seen: [number, number][] = [];
    for (const id of imageIds) {
      const s = this.#library.tiles.get(id)?.suggestion;
      if (s && s.classId !== null) seen.push([id, s.classId]);
    }
    void this.#labels.acceptSuggestions(imageIds, seen);
    return true;
  }

  private unsure(imageIds: number[]): string | null {
    const below = this.acceptTwiceBelow;
    const pct = Math.round(below * 100);
    const again = `press ${ACCEPT_KEY} again to accept`;
    if (imageIds.length === 1) {
      const t = this.#library.tiles.get(imageIds[0] as number);
      const s = t?.suggestion;
      if (!t) return `The suggestion is still loading: ${again} it`;
      if (!s || s.classId === null || s.confidence >= below) return null;
      const name = this.#labels.byId(s.classId)?.name ?? 'a class';
      return `Unsure suggestion (${Math.round(s.confidence * 100)} % ${name}, under ${pct} %): ${again} it`;
    }
    let unsure = 0;
    for (const id of imageIds) {
      const s = this.#library.tiles.get(id)?.suggestion;
      if (s === undefined || (s && s.classId !== null && s.confidence < below)) unsure++;
    }
    return unsure === 0
      ? null
      : `${unsure} of these ${imageIds.length} suggestions are under ${pct} % or not loaded: ${again} them all`;
  }

  async loadHeatMap(imageId: number): Promise<void> {
    this.#heatMapBusy = true;
    try {
      this.#heatMap = await this.#app.api().assist.heatMap(imageId);
    } catch (err) {
      this.#app.report(err);
    } finally {
      this.#heatMapBusy = false;
    }
  }

  hideHeatMap(): void {
    this.#heatMap = null;
  }
}
