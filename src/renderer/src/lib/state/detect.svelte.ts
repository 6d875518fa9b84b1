import type { DetectionFilter } from '../../../../shared/api';
import type {
  Detection,
  DetectionChange,
  DetectionCounts,
  DetectorInfo,
  NewDetection,
  StaticBoxGroup,
} from '../../../../shared/types';
import type { AppState } from './app.svelte';
import type { LabelsState } from './labels.svelte';
import type { LibraryState } from './library.svelte';

/** The stand-in's default: low enough to keep most animals, above its scores on bare ground. */
export const DEFAULT_THRESHOLD = 0.2;

/**
 * Camera-trap detection: which detector ran, the threshold and its live counts, the grid's
 * detection filters, marking the rest empty, recurring static boxes, and the boxes of the
 * image on screen.
 */
export class DetectState {
  readonly #app: AppState;
  readonly #labels: LabelsState;
  readonly #library: LibraryState;

  #detectors = $state<DetectorInfo[]>([]);
  get detectors(): DetectorInfo[] {
    return this.#detectors;
  }

  /** Detectors with results here, most recent first; the first is the one shown. */
  #used = $state<string[]>([]);
  get used(): string[] {
    return this.#used;
  }
  get detector(): string | null {
    return this.#used[0] ?? null;
  }

  #threshold = $state(DEFAULT_THRESHOLD);
  get threshold(): number {
    return this.#threshold;
  }

  #burstAware = $state(true);
  get burstAware(): boolean {
    return this.#burstAware;
  }

  #counts = $state<DetectionCounts | null>(null);
  get counts(): DetectionCounts | null {
    return this.#counts;
  }

  #staticGroups = $state<StaticBoxGroup[]>([]);
  get staticGroups(): StaticBoxGroup[] {
    return this.#staticGroups;
  }

  /** The last "mark empty" outcome, for the panel to say. */
  #note = $state<string | null>(null);
  get note(): string | null {
    return this.#note;
  }

  /** Boxes of images looked at, by image id (cleared when boxes change). */
  #boxes = $state<Record<number, Detection[]>>({});

  /** The box chosen in the image view, for the box panel's actions. */
  #selected = $state<number | null>(null);
  get selected(): number | null {
    return this.#selected;
  }
  set selected(id: number | null) {
    this.#selected = id;
  }

  /** A box run's least-sure boxes, walked one by one in the image view (empty: not walking). */
  #queue = $state<Detection[]>([]);
  get queue(): Detection[] {
    return this.#queue;
  }
  #queuePos = $state(0);
  get queuePos(): number {
    return this.#queuePos;
  }

  /** Whether a drag on the image draws a new box (instead of panning). */
  #drawing = $state(false);
  get drawing(): boolean {
    return this.#drawing;
  }
  set drawing(value: boolean) {
    this.#drawing = value;
  }

  /** Counts requests in flight: only the latest answer is shown while the slider moves. */
  #countsSeq = 0;

  constructor(app: AppState, labels: LabelsState, library: LibraryState) {
    this.#app = app;
    this.#labels = labels;
    this.#library = library;
    // Detectors, boxes and counts of a project open before the page (after a reload).
    this.#app.onOpenAtStart(() => void this.refresh());
    this.#app.onStart((client) => {
      if (this.#app.project) void this.refresh();
      client.on('project:changed', (p) => {
        this.#boxes = {};
        this.#tileBoxes = {};
        this.#counts = null;
        this.#used = [];
        this.#staticGroups = [];
        if (p) void this.refresh();
      });
      client.on('detect:changed', () => {
        this.#boxes = {};
        this.#tileBoxes = {};
        void this.refresh();
      });
      client.on('labels:changed', (e) => {
        void this.refreshCounts();
        // Undo and redo of a box label change boxes: reload those of images in memory.
        for (const id of e.imageIds) if (this.#boxes[id]) void this.reloadBoxes(id);
      });
    });
  }

  /** Reloads the detectors, which have run, the counts and the static boxes. */
  async refresh(): Promise<void> {
    await this.#app.guard(async () => {
      const api = this.#app.api();
      const [detectors, used] = await Promise.all([api.detect.detectors(), api.detect.used()]);
      this.#detectors = detectors;
      this.#used = used;
      await this.refreshCounts();
      this.#staticGroups = used.length > 0 ? await api.detect.staticBoxes() : [];
    });
  }

  /** Fetches the counts at the current threshold; a later call's answer wins. */
  async refreshCounts(): Promise<void> {
    // Nothing to count before a detector has run (and no call to make).
    if (!this.#app.project || !this.detector) {
      this.#counts = null;
      return;
    }
    const seq = ++this.#countsSeq;
    try {
      const counts = await this.#app.api().detect.counts({
        threshold: this.#threshold,
        burstAware: this.#burstAware,
      });
      if (seq === this.#countsSeq) this.#counts = counts;
    } catch (err) {
      this.#app.report(err);
    }
  }

  setThreshold(value: number): void {
    this.#threshold = Math.min(1, Math.max(0, value));
    void this.refreshCounts();
    this.refilter();
  }

  setBurstAware(value: boolean): void {
    this.#burstAware = value;
    void this.refreshCounts();
    this.refilter();
  }

  /** A detection filter on the grid follows the threshold and burst setting. */
  private refilter(): void {
    const f = this.#library.filter;
    if (f.kind === 'detection') this.show(f.category);
  }

  /** Starts a detection job (the built-in detector unless another is chosen). */
  async run(detector: string | null = null): Promise<void> {
    await this.#app.guard(() => this.#app.api().detect.run({ detector }));
  }

  /**
   * Shows the images of one category (or the empty ones) at the threshold in the grid: a
   * condition of the grid's own query, so no list of ids travels whatever the project's size.
   */
  show(category: DetectionFilter): void {
    this.#library.setFilter({
      kind: 'detection',
      category,
      threshold: this.#threshold,
      burstAware: this.#burstAware,
      detector: this.detector,
    });
  }

  /**
   * Labels the images without detections "empty" in one undoable action; when some carry a
   * human label, asks first (saying how many) and leaves them alone unless told otherwise.
   */
  async markEmpty(): Promise<void> {
    await this.#app.guard(async () => {
      const api = this.#app.api();
      const query = { threshold: this.#threshold, burstAware: this.#burstAware };
      const preview = await api.detect.markEmpty({ ...query, preview: true });
      if (preview.candidates === 0) {
        this.#note = 'No image without detections at this threshold';
        return;
      }
      let replaceHuman = false;
      if (preview.humanLabelled > 0) {
        const n = preview.humanLabelled;
        const others = preview.candidates - n;
        const answer = await this.#labels.choose(
          `${n} of the ${preview.candidates} images without detections already have a human label. Replace ${n === 1 ? 'it' : 'them'} with "empty" too?`,
          `Replace ${n} human label${n === 1 ? '' : 's'}`,
          others > 0 ? `Mark only the other ${others}` : undefined,
        );
        // Cancel (or Escape) marks nothing: it used to mark the others.
        if (answer === false) {
          this.#note = 'Nothing marked';
          return;
        }
        replaceHuman = answer === true;
      }
      const done = await api.detect.markEmpty({ ...query, replaceHuman });
      this.#note = `Marked ${done.labelled.toLocaleString()} image${done.labelled === 1 ? '' : 's'} empty (undo with Ctrl+Z)`;
    });
  }

  /** Hides one group of recurring static boxes. */
  async suppress(group: StaticBoxGroup): Promise<void> {
    await this.#app.guard(async () => {
      await this.#app.api().detect.suppressStatic(group.detectionIds);
    });
  }

  /** Boxes on the grid's tiles: a toggle of the detection panel. */
  #tileBoxesOn = $state(false);
  get tileBoxesOn(): boolean {
    return this.#tileBoxesOn;
  }
  set tileBoxesOn(value: boolean) {
    this.#tileBoxesOn = value;
    this.#tileBoxes = {};
  }

  /** The visible tiles' boxes at the threshold, by image id ([] once fetched with none). */
  #tileBoxes = $state<Record<number, Detection[]>>({});
  /** The detector and threshold #tileBoxes holds boxes of. */
  #tileKey = '';
  /** Ids asked for and not answered yet (plain bookkeeping, nothing renders from it). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- not state: only guards against asking twice.
  readonly #tilePending = new Set<number>();

  /** A tile's boxes to draw, or null (the toggle is off, or they are not fetched yet). */
  tileBoxesOf(imageId: number): Detection[] | null {
    return this.#tileBoxesOn ? (this.#tileBoxes[imageId] ?? null) : null;
  }

  /**
   * Fetches the boxes of the tiles on screen that are not in memory, in one call per page:
   * the grid calls it as it scrolls, so 10⁵ images cost only what is looked at.
   */
  wantTileBoxes(imageIds: readonly number[]): void {
    const detector = this.detector;
    if (!this.#tileBoxesOn || !this.#app.project || !detector) return;
    const threshold = this.#threshold;
    const key = `${detector}|${threshold}`;
    // Another threshold or detector, or too many kept: start afresh with what is on screen.
    if (key !== this.#tileKey || Object.keys(this.#tileBoxes).length > 5000) {
      this.#tileKey = key;
      this.#tileBoxes = {};
      this.#tilePending.clear();
    }
    const have = this.#tileBoxes;
    const missing = imageIds.filter((id) => !(id in have) && !this.#tilePending.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.#tilePending.add(id);
    void this.#app
      .api()
      .detect.tileBoxes({ imageIds: missing, threshold, detector })
      .then((got) => {
        if (this.#tileKey !== key) return;
        const next = { ...this.#tileBoxes };
        for (const id of missing) {
          next[id] = got[id] ?? [];
          this.#tilePending.delete(id);
        }
        this.#tileBoxes = next;
      })
      .catch((err: unknown) => {
        for (const id of missing) this.#tilePending.delete(id);
        this.#app.report(err);
      });
  }

  /** The boxes of an image (fetched once, then from memory until boxes change). */
  boxesOf(imageId: number): Detection[] | null {
    return this.#boxes[imageId] ?? null;
  }

  /** The boxes to draw: people's, and the detector's at or above the threshold. */
  shownBoxes(imageId: number): Detection[] {
    return (this.#boxes[imageId] ?? []).filter(
      (b) => b.source === 'human' || b.status === 'confirmed' || b.confidence >= this.#threshold,
    );
  }

  /**
   * The chosen box if it is one of this image's, else null: a box chosen on another image
   * stays chosen while the view moves on, and a class key must not label it unseen.
   */
  selectedOn(imageId: number): number | null {
    const id = this.#selected;
    if (id === null) return null;
    const boxes = this.#boxes[imageId];
    // A queued box may be chosen before its image's boxes are in.
    const mine = boxes
      ? boxes.some((b) => b.id === id)
      : this.#queue.some((b) => b.id === id && b.imageId === imageId);
    return mine ? id : null;
  }

  /** Loads an image's boxes if they are not in memory. */
  async loadBoxes(imageId: number): Promise<void> {
    if (!this.#app.project || !this.detector || this.#boxes[imageId]) return;
    try {
      const boxes = await this.#app.api().detect.boxes(imageId);
      this.#boxes = { ...this.#boxes, [imageId]: boxes };
    } catch (err) {
      this.#app.report(err);
    }
  }

  /** Fetches an image's boxes again. */
  async reloadBoxes(imageId: number): Promise<void> {
    if (!this.#app.project || !this.detector) return;
    try {
      const boxes = await this.#app.api().detect.boxes(imageId);
      this.#boxes = { ...this.#boxes, [imageId]: boxes };
    } catch (err) {
      this.#app.report(err);
    }
  }

  /**
   * Gives a box a class (null: none) as an undoable label action, in key order with the
   * image label actions; the status line says what the key did ("Label 1 box fox").
   */
  labelBox(id: number, classId: number | null): Promise<boolean> {
    return this.#labels.labelBoxes([id], classId);
  }

  /** Confirms, deletes, relabels or moves a box. */
  async updateBox(id: number, change: DetectionChange): Promise<void> {
    await this.#app.guard(() => this.#app.api().detect.updateBox(id, change));
  }

  /** Adds a box a person drew, and selects it. */
  async addBox(box: NewDetection): Promise<void> {
    await this.#app.guard(async () => {
      this.#selected = (await this.#app.api().detect.addBox(box)).id;
    });
  }

  /** Loads the least-sure boxes of the latest box run's suggestions (least sure first). */
  async loadQueue(limit = 200): Promise<Detection[]> {
    await this.#app.guard(async () => {
      this.#queue = await this.#app.api().detect.uncertainBoxes(limit);
      this.#queuePos = 0;
    });
    return this.#queue;
  }

  /** Chooses the queue's box at `index` (a class key then labels it); null past the end. */
  queued(index: number): Detection | null {
    const box = this.#queue[index] ?? null;
    if (!box) return null;
    this.#queuePos = index;
    this.#selected = box.id;
    return box;
  }
}
