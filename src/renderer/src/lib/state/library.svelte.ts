import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import type {
  ImageCounts,
  ImageDetail,
  ImageFilter,
  ImageSort,
  ImageTile,
  MediaKind,
  RootInfo,
} from '../../../../shared/types';
import { debounced } from '../debounce';
import { appState } from './app.svelte';

const PAGE_SIZE = 240;

/** What the grid shows. Later kinds (predicted class, confidence…) slot in here. */
export type ViewFilter =
  | { kind: 'all' }
  | { kind: 'unlabelled' }
  | { kind: 'problem' }
  | { kind: 'pending' }
  | { kind: 'class'; classId: number }
  | { kind: 'sequence'; sequenceId: number }
  | { kind: 'folder'; rootId: number; folder: string }
  /** Model suggestions no human has confirmed (the active-learning queue). */
  | { kind: 'suggested'; since: string }
  | { kind: 'disagrees' }
  | { kind: 'predicted'; classId: number }
  /** "More like this": exactly these images, most similar first. */
  | { kind: 'similar'; imageId: number; ids: number[] };

/**
 * The open project's library: root folders, counts, the grid's data (loaded a page at a
 * time, so 100,000 images cost only what is on screen), the focused image and the selection.
 */
class LibraryState {
  roots = $state<RootInfo[]>([]);
  counts = $state<ImageCounts | null>(null);
  total = $state(0);
  filter = $state<ViewFilter>({ kind: 'all' });
  sort = $state<ImageSort>('path');
  tileSize = $state(160);
  /** Suggestion confidence range applied on top of the filter, in percent. */
  confidence = $state<{ min: number; max: number }>({ min: 0, max: 100 });
  /** Index of the focused image in the current filter and sort. */
  focus = $state(0);
  /** Bumped whenever cached pages are stale. */
  generation = $state(0);
  readonly selected = new SvelteSet<number>();
  /** Seconds between shots that start a new sequence. */
  sequenceGap = $state(60);
  /** Details of the image shown in the image view. */
  detail = $state<ImageDetail | null>(null);
  /** The burst the shown image belongs to, for the film strip. */
  sequence = $state<ImageTile[]>([]);

  private anchor: number | null = null;
  private readonly pages = new SvelteMap<number, ImageTile[]>();
  private readonly loading = new Set<number>();
  private readonly scheduleRefresh = debounced(() => void this.refresh());
  private readonly changedIds = new Set<number>();
  private readonly schedulePatch = debounced(() => this.reloadChangedPages());

  constructor() {
    appState.onStart((client) => {
      client.on('library:changed', () => this.scheduleRefresh(300));
      client.on('labels:changed', (e) => {
        // Tiles are patched in place: positions stay put while someone labels at speed, even
        // in "unlabelled" (which is refreshed when the filter is chosen again).
        if (e.classesChanged) this.scheduleRefresh(0);
        else {
          for (const id of e.imageIds) this.changedIds.add(id);
          this.schedulePatch(120);
        }
      });
      client.on('project:changed', (p) => {
        this.pages.clear();
        this.selected.clear();
        this.roots = [];
        this.counts = null;
        this.total = 0;
        this.focus = 0;
        this.filter = { kind: 'all' };
        this.confidence = { min: 0, max: 100 };
        if (p) void this.refresh();
      });
    });
  }

  /** Reloads roots, counts and the grid's size; cached pages are refetched as seen. */
  async refresh(): Promise<void> {
    if (!appState.project) return;
    const api = appState.api();
    try {
      const [roots, counts, first, settings] = await Promise.all([
        api.library.roots(),
        api.library.counts(),
        api.library.listImages({
          filter: this.query(),
          sort: this.sort,
          offset: 0,
          limit: PAGE_SIZE,
        }),
        api.library.settings(),
      ]);
      this.sequenceGap = settings.sequenceGapSeconds;
      this.roots = roots;
      this.counts = counts;
      this.total = first.total;
      this.loading.clear();
      this.pages.clear();
      this.pages.set(0, first.items);
      this.generation++;
      if (this.focus >= this.total) this.focus = Math.max(0, this.total - 1);
    } catch (err) {
      appState.report(err);
    }
  }

  /** The tile at a grid index, or null while its page loads (the load starts here). */
  tileAt(index: number): ImageTile | null {
    const page = Math.floor(index / PAGE_SIZE);
    const items = this.pages.get(page);
    if (!items) {
      this.load(page);
      return null;
    }
    return items[index - page * PAGE_SIZE] ?? null;
  }

  /** The tile at an index, loading its page if needed. */
  async tileAtAsync(index: number): Promise<ImageTile | null> {
    const page = Math.floor(index / PAGE_SIZE);
    if (!this.pages.has(page)) await this.fetchPage(page);
    return this.pages.get(page)?.[index - page * PAGE_SIZE] ?? null;
  }

  get focused(): ImageTile | null {
    return this.total > 0 ? this.tileAt(this.focus) : null;
  }

  /** Loads details and sequence of the focused image (for the image view). */
  async loadFocused(): Promise<void> {
    const tile = await this.tileAtAsync(this.focus);
    if (!tile) {
      this.detail = null;
      this.sequence = [];
      return;
    }
    try {
      const api = appState.api();
      const [detail, seq] = await Promise.all([
        api.library.image(tile.id),
        tile.sequenceId === null
          ? Promise.resolve(null)
          : api.library.listImages({
              filter: { sequenceId: tile.sequenceId },
              sort: 'time',
              limit: 200,
            }),
      ]);
      this.detail = detail;
      this.sequence = seq?.items ?? [tile];
    } catch (err) {
      appState.report(err);
    }
  }

  /** Focuses an image by id if it is in the current list (film strip clicks). */
  async focusId(id: number): Promise<boolean> {
    try {
      const ids = await appState.api().library.imageIds(this.query(), this.sort);
      const i = ids.indexOf(id);
      if (i < 0) return false;
      this.moveFocus(i);
      return true;
    } catch (err) {
      appState.report(err);
      return false;
    }
  }

  mediaUrl(kind: MediaKind, id: number, version: string | null): string {
    return appState.api().mediaUrl(kind, id, version);
  }

  setFilter(filter: ViewFilter): void {
    this.filter = filter;
    this.focus = 0;
    this.selected.clear();
    this.anchor = null;
    void this.refresh();
  }

  setSort(sort: ImageSort): void {
    this.sort = sort;
    this.focus = 0;
    void this.refresh();
  }

  /** Moves the focus, clamped to the list. */
  moveFocus(to: number): void {
    if (this.total === 0) return;
    this.focus = Math.min(this.total - 1, Math.max(0, to));
  }

  /** Click semantics of file managers: plain, shift (range from the anchor), ctrl/cmd (toggle). */
  async click(index: number, mods: { shift: boolean; toggle: boolean }): Promise<void> {
    this.focus = index;
    const tile = await this.tileAtAsync(index);
    if (!tile) return;
    if (mods.shift && this.anchor !== null) {
      const [from, to] = this.anchor < index ? [this.anchor, index] : [index, this.anchor];
      if (!mods.toggle) this.selected.clear();
      for (let i = from; i <= to; i++) {
        const t = await this.tileAtAsync(i);
        if (t) this.selected.add(t.id);
      }
      return;
    }
    if (mods.toggle) {
      if (this.selected.has(tile.id)) this.selected.delete(tile.id);
      else this.selected.add(tile.id);
    } else {
      this.selected.clear();
      this.selected.add(tile.id);
    }
    this.anchor = index;
  }

  /** Selects every image of the current filter (ids come from the main side, not pages). */
  async selectAll(): Promise<void> {
    try {
      const ids = await appState.api().library.imageIds(this.query(), this.sort);
      this.selected.clear();
      for (const id of ids) this.selected.add(id);
    } catch (err) {
      appState.report(err);
    }
  }

  clearSelection(): void {
    this.selected.clear();
    this.anchor = null;
  }

  /** The images an action applies to: the selection, or else the focused image. */
  async targets(): Promise<number[]> {
    if (this.selected.size > 0) return [...this.selected];
    const t = await this.tileAtAsync(this.focus);
    return t ? [t.id] : [];
  }

  async addRoot(folder: string, labelsFromFolders: boolean): Promise<boolean> {
    if (!folder.trim()) {
      appState.error = 'Enter the path of a folder of images.';
      return false;
    }
    const ok = await appState.guard(() =>
      appState.api().library.addRoot(folder.trim(), { labelsFromFolders }),
    );
    if (ok) await this.refresh();
    return ok;
  }

  async removeRoot(rootId: number, keepLabels: boolean): Promise<void> {
    if (await appState.guard(() => appState.api().library.removeRoot(rootId, { keepLabels }))) {
      await this.refresh();
    }
  }

  async relocateRoot(rootId: number, folder: string): Promise<void> {
    if (await appState.guard(() => appState.api().library.relocateRoot(rootId, folder.trim()))) {
      await this.refresh();
    }
  }

  async setSequenceGap(seconds: number): Promise<void> {
    if (
      await appState.guard(() =>
        appState.api().library.updateSettings({ sequenceGapSeconds: seconds }),
      )
    ) {
      await this.refresh();
    }
  }

  async rescan(): Promise<void> {
    await appState.guard(() => appState.api().library.rescan());
  }

  /** The filter as the API takes it (for the assist state's bulk actions too). */
  query(): ImageFilter {
    const base = this.baseQuery();
    const { min, max } = this.confidence;
    if (min > 0) base.minConfidence = min / 100;
    if (max < 100) base.maxConfidence = max / 100;
    return base;
  }

  setConfidence(min: number, max: number): void {
    this.confidence = { min, max };
    this.focus = 0;
    void this.refresh();
  }

  private baseQuery(): ImageFilter {
    const f = this.filter;
    switch (f.kind) {
      case 'all':
        return {};
      case 'unlabelled':
        return { unlabelled: true };
      case 'problem':
      case 'pending':
        return { status: f.kind };
      case 'class':
        return { classId: f.classId };
      case 'sequence':
        return { sequenceId: f.sequenceId };
      case 'folder':
        return { rootId: f.rootId, folder: f.folder };
      case 'suggested':
        return { suggested: true, suggestedSince: f.since };
      case 'disagrees':
        return { disagrees: true };
      case 'predicted':
        return { predictedClassId: f.classId };
      case 'similar':
        return { imageIds: [f.imageId, ...f.ids] };
    }
  }

  private load(page: number): void {
    if (this.loading.has(page)) return;
    // Deferred: this runs while the grid renders, where state must not change.
    queueMicrotask(() => void this.fetchPage(page));
  }

  private async fetchPage(page: number): Promise<void> {
    if (this.loading.has(page)) return;
    this.loading.add(page);
    const generation = this.generation;
    try {
      const res = await appState.api().library.listImages({
        filter: this.query(),
        sort: this.sort,
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      if (generation !== this.generation) return;
      this.pages.set(page, res.items);
      this.total = res.total;
    } catch (err) {
      appState.report(err);
    } finally {
      this.loading.delete(page);
    }
  }

  /** Refetches the cached pages holding changed images, once per burst of label changes. */
  private reloadChangedPages(): void {
    const ids = new Set(this.changedIds);
    this.changedIds.clear();
    for (const [page, items] of this.pages) {
      if (items.some((t) => ids.has(t.id))) {
        this.loading.delete(page);
        void this.fetchPage(page);
      }
    }
  }
}

export const library = new LibraryState();
