import type {
  ImageCounts,
  ImageFilter,
  ImageSort,
  ImageTile,
  MediaKind,
  RootInfo,
} from '../../../../shared/types';
import { IdSet } from '../id-set';
import type { AppState } from './app.svelte';
import { Listing } from './listing.svelte';
import { TileCache } from './tiles.svelte';
import { baseQuery, type ViewFilter } from './view-filter';

export type { ViewFilter } from './view-filter';

/** Filters whose images come and go as labels change. */
const BY_LABELS = new Set<ViewFilter['kind']>(['unlabelled', 'class', 'suggested', 'disagrees']);
/** At most one reload of the grid per this many ms while an import reports progress. */
const RELOAD_EVERY_MS = 1500;

/**
 * The open project's library and the grid: roots, counts, the listing (every id of the
 * filter, in order), tiles for what is on screen, the focused image and the selection. The
 * selection only ever holds images the grid shows; the focused image is the target of the
 * next key when nothing is selected.
 */
export class LibraryState {
  readonly #app: AppState;

  #roots = $state<RootInfo[]>([]);
  get roots(): RootInfo[] {
    return this.#roots;
  }

  #counts = $state<ImageCounts | null>(null);
  get counts(): ImageCounts | null {
    return this.#counts;
  }

  #filter = $state<ViewFilter>({ kind: 'all' });
  get filter(): ViewFilter {
    return this.#filter;
  }

  #sort = $state<ImageSort>('path');
  get sort(): ImageSort {
    return this.#sort;
  }

  #tileSize = $state(160);
  get tileSize(): number {
    return this.#tileSize;
  }
  set tileSize(value: number) {
    this.#tileSize = value;
  }

  /** Suggestion confidence range applied on top of the filter, in percent. */
  #confidence = $state<{ min: number; max: number }>({ min: 0, max: 100 });
  get confidence(): { min: number; max: number } {
    return this.#confidence;
  }
  /** Index of the focused image in the listing. */
  #focus = $state(0);
  get focus(): number {
    return this.#focus;
  }

  /** Seconds between shots that start a new sequence. */
  #sequenceGap = $state(60);
  get sequenceGap(): number {
    return this.#sequenceGap;
  }

  /** Bumped when the selection changes. */
  #selectionVersion = $state(0);
  get selectionVersion(): number {
    return this.#selectionVersion;
  }

  readonly tiles: TileCache;
  readonly listing: Listing;

  private readonly selection = new IdSet();
  private focusId: number | null = null;
  private anchorId: number | null = null;
  #lastReload = 0;
  private loadedFor: string | null = null;
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(app: AppState) {
    this.#app = app;
    this.tiles = new TileCache(app);
    this.listing = new Listing(
      app,
      () => ({
        filter: this.query(),
        sort: this.#sort,
        byLabels: BY_LABELS.has(this.#filter.kind),
      }),
      { removed: (ids) => this.afterRemoved(ids), replaced: () => this.afterReplaced() },
    );
    this.#app.onStart((client) => {
      client.on('library:changed', () => {
        void this.refreshRoots();
        // Read images and new thumbnails show at once (tiles carry status and version);
        // the list itself, which only changes for files found or gone, follows in a while.
        this.tiles.invalidate();
        this.scheduleReload();
      });
      client.on('labels:changed', (e) => {
        this.tiles.invalidate(e.imageIds);
        if (e.classesChanged) void this.afterClassesChanged();
        else this.listing.labelsChanged(e.imageIds);
      });
      client.on('project:changed', (p) => {
        this.tiles.clear();
        this.clearSelection();
        this.#roots = [];
        this.#counts = null;
        this.#focus = 0;
        this.focusId = null;
        this.#filter = { kind: 'all' };
        this.#confidence = { min: 0, max: 100 };
        this.loadedFor = null;
        if (p) void this.refresh();
      });
    });
  }

  /** Images in the grid (so far, while the listing loads). */
  get total(): number {
    return this.listing.length;
  }

  /** Something is still loading or catching up with a change. */
  get busy(): boolean {
    return this.listing.loading || this.listing.syncing || this.tiles.inflight > 0;
  }

  get selectedCount(): number {
    void this.#selectionVersion;
    return this.selection.size;
  }

  isSelected(id: number): boolean {
    void this.#selectionVersion;
    return this.selection.has(id);
  }

  /** The tile at a grid position, or null while it loads (ask with `want`). */
  tileAt(index: number): ImageTile | null {
    const id = this.listing.at(index);
    return id === undefined ? null : (this.tiles.get(id) ?? null);
  }

  /** The focused image's id, or null in an empty grid. */
  get focusedId(): number | null {
    return this.listing.at(this.#focus) ?? null;
  }

  /** Reloads roots, counts and settings, and lists the filter from the start. */
  async refresh(): Promise<void> {
    if (!this.#app.project) return;
    this.loadedFor = this.#app.project.path;
    this.listing.reset();
    await this.refreshRoots();
  }

  /** Loads the open project's library unless that is done (the page opened with it open). */
  ensureLoaded(): void {
    if (this.#app.project && this.loadedFor !== this.#app.project.path) void this.refresh();
  }

  mediaUrl(kind: MediaKind, id: number, version: string | null): string {
    return this.#app.api().mediaUrl(kind, id, version);
  }

  setFilter(filter: ViewFilter): void {
    this.#filter = filter;
    this.#focus = 0;
    this.focusId = null;
    this.clearSelection();
    this.listing.reset();
  }

  setSort(sort: ImageSort): void {
    this.#sort = sort;
    this.#focus = 0;
    this.focusId = null;
    this.listing.reset();
  }

  setConfidence(min: number, max: number): void {
    this.#confidence = { min, max };
    this.#focus = 0;
    this.focusId = null;
    this.clearSelection();
    this.listing.reset();
  }

  /**
   * Classes changed: the grid lists again, and a filter on a class that is gone (merged or
   * deleted) falls back to every image (the grid went blank, its Show box empty).
   */
  private async afterClassesChanged(): Promise<void> {
    const f = this.#filter;
    if (f.kind === 'class') {
      const classes = await this.#app
        .api()
        .labels.classes()
        .catch(() => null);
      if (classes && !classes.some((c) => c.id === f.classId) && this.#filter === f) {
        this.setFilter({ kind: 'all' });
        return;
      }
    }
    this.listing.reload();
  }

  /** Moves the focus, clamped to the list. */
  moveFocus(to: number): void {
    if (this.total === 0) return;
    this.#focus = Math.min(this.total - 1, Math.max(0, to));
    this.focusId = this.listing.at(this.#focus) ?? null;
  }

  /** Focuses an image if the grid lists it (back from the image view); else keeps the place. */
  focusImage(id: number, fallback: number): void {
    const i = this.listing.indexOf(id, this.#focus);
    this.moveFocus(i >= 0 ? i : fallback);
  }

  /** Whether the selection is the one image a plain click chose: arrow keys carry it along. */
  private clickedOne = false;

  /**
   * A plain arrow key: the focus moves; a selection of the one clicked image moves with it, as
   * in a file manager (it stayed behind, and the next class key labelled the image the ring
   * had left). A selection built with Space, Ctrl or Shift stays while the focus moves.
   */
  step(to: number): void {
    const carry = this.clickedOne && this.selection.size === 1;
    this.moveFocus(to);
    const id = this.focusedId;
    if (!carry || id === null) return;
    this.selection.clear();
    this.selection.add(id);
    this.anchorId = id;
    this.#selectionVersion++;
  }

  /** Click semantics of file managers: plain, shift (range from the anchor), ctrl/cmd (toggle). */
  click(index: number, mods: { shift: boolean; toggle: boolean }): void {
    this.clickedOne = !mods.shift && !mods.toggle;
    this.moveFocus(index);
    const id = this.focusedId;
    if (id === null) return;
    const anchor = this.anchorId === null ? -1 : this.listing.indexOf(this.anchorId, index);
    if (mods.shift && anchor >= 0) {
      if (!mods.toggle) this.selection.clear();
      const [from, to] = anchor < index ? [anchor, index] : [index, anchor];
      for (const x of this.listing.slice(from, to + 1)) this.selection.add(x);
    } else {
      if (mods.toggle) {
        if (!this.selection.delete(id)) this.selection.add(id);
      } else {
        this.selection.clear();
        this.selection.add(id);
      }
      this.anchorId = id;
    }
    this.#selectionVersion++;
  }

  /**
   * Before Shift+arrow moves the focus: without an anchor in the list, the range starts at the
   * image focused now, as in a file manager (it started at the image moved to, leaving the
   * first image out).
   */
  anchorAtFocus(): void {
    const listed = this.anchorId !== null && this.listing.indexOf(this.anchorId, this.#focus) >= 0;
    if (!listed) this.anchorId = this.focusedId;
  }

  /** Selects every image of the grid (waiting for the listing to be complete). */
  async selectAll(): Promise<void> {
    this.clickedOne = false;
    const ids = await this.listing.whenComplete();
    ids.forEach((id) => this.selection.add(id));
    this.#selectionVersion++;
  }

  /** Selects these images (those the grid shows). */
  select(ids: Iterable<number>): void {
    this.clickedOne = false;
    for (const id of ids) this.selection.add(id);
    this.#selectionVersion++;
  }

  clearSelection(): void {
    this.selection.clear();
    this.anchorId = null;
    this.#selectionVersion++;
  }

  /**
   * The images a key acts on, fixed when it is pressed: the selection, or else the focused
   * image (empty in an empty grid).
   */
  targets(): number[] {
    if (this.selection.size > 0) return this.selection.toArray();
    const id = this.focusedId;
    return id === null ? [] : [id];
  }

  async addRoot(folder: string, labelsFromFolders: boolean): Promise<boolean> {
    if (!folder.trim()) {
      this.#app.error = 'Enter the path of a folder of images.';
      return false;
    }
    const ok = await this.#app.guard(() =>
      this.#app.api().library.addRoot(folder.trim(), { labelsFromFolders }),
    );
    if (ok) await this.refresh();
    return ok;
  }

  async removeRoot(rootId: number, keepLabels: boolean): Promise<void> {
    if (await this.#app.guard(() => this.#app.api().library.removeRoot(rootId, { keepLabels }))) {
      await this.refresh();
    }
  }

  async relocateRoot(rootId: number, folder: string): Promise<void> {
    if (await this.#app.guard(() => this.#app.api().library.relocateRoot(rootId, folder.trim()))) {
      await this.refresh();
    }
  }

  async setSequenceGap(seconds: number): Promise<void> {
    if (
      await this.#app.guard(() =>
        this.#app.api().library.updateSettings({ sequenceGapSeconds: seconds }),
      )
    ) {
      this.tiles.invalidate();
      await this.refresh();
    }
  }

  async rescan(): Promise<void> {
    await this.#app.guard(() => this.#app.api().library.rescan());
  }

  /** The filter as the API takes it (for the assist state's bulk actions too). */
  query(): ImageFilter {
    const base = baseQuery(this.#filter);
    const { min, max } = this.#confidence;
    if (min > 0) base.minConfidence = min / 100;
    if (max < 100) base.maxConfidence = max / 100;
    return base;
  }

  private async refreshRoots(): Promise<void> {
    if (!this.#app.project) return;
    try {
      const api = this.#app.api();
      const [roots, counts, settings] = await Promise.all([
        api.library.roots(),
        api.library.counts(),
        api.library.settings(),
      ]);
      this.#roots = roots;
      this.#counts = counts;
      this.#sequenceGap = settings.sequenceGapSeconds;
    } catch (err) {
      this.#app.report(err);
    }
  }

  /** Imports and watched folders change the list: reload it, at most every RELOAD_EVERY_MS. */
  private scheduleReload(): void {
    if (this.reloadTimer) return;
    const wait = Math.max(0, this.#lastReload + RELOAD_EVERY_MS - Date.now());
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.#lastReload = Date.now();
      this.listing.reload();
    }, wait);
  }

  /** Images left the grid: they leave the selection; the focus stays on its image or place. */
  private afterRemoved(ids: number[]): void {
    let changed = false;
    for (const id of ids) changed = this.selection.delete(id) || changed;
    if (changed) this.#selectionVersion++;
    this.keepFocus();
  }

  private afterReplaced(): void {
    const before = this.selection.size;
    this.selection.retain(this.listing.current());
    if (this.selection.size !== before) this.#selectionVersion++;
    this.keepFocus();
  }

  private keepFocus(): void {
    const i = this.focusId === null ? -1 : this.listing.indexOf(this.focusId, this.#focus);
    if (i >= 0) this.#focus = i;
    else {
      // The focused image left: the one that took its place is focused now.
      this.#focus = Math.max(0, Math.min(this.#focus, this.total - 1));
      this.focusId = this.listing.at(this.#focus) ?? null;
    }
  }
}
