import type { ImageFilter, ImageSort, ListCursor } from '../../../../shared/types';
import { IdList, membership } from '../id-list';
import type { AppState } from './app.svelte';

export interface ListQuery {
  filter: ImageFilter;
  sort: ImageSort;
  /** Whether labels decide which images the filter holds (unlabelled, a class…). */
  byLabels: boolean;
}

export interface ListingHooks {
  /** Ids left the listing (they are gone from it already). */
  removed(ids: number[]): void;
  /** The listing was replaced (a reload finished) or started again empty. */
  replaced(): void;
}

/** Ids asked for per chunk; the main side ends a chunk sooner when it takes long. */
const FIRST_CHUNK = 600;
const CHUNK = 50_000;

/**
 * What the grid shows: every id of the current filter and sort, in order, fetched in chunks
 * from cursors (keyset paging) and kept in one IdList. It follows label changes: an image
 * that no longer matches the filter leaves it at once; one that newly matches makes it
 * reload (kept on screen until the new list is complete).
 */
export class Listing {
  /** Bumped on every change of the ids. */
  #version = $state(0);
  get version(): number {
    return this.#version;
  }

  #length = $state(0);
  get length(): number {
    return this.#length;
  }

  #complete = $state(false);
  get complete(): boolean {
    return this.#complete;
  }

  #loading = $state(false);
  get loading(): boolean {
    return this.#loading;
  }

  #syncing = $state(false);
  get syncing(): boolean {
    return this.#syncing;
  }

  private ids = new IdList();
  /** The list a reload is building (swapped in when complete). */
  private building: IdList | null = null;
  #generation = 0;
  /** Images whose labels changed since the last check. */
  private changed: number[] = [];
  #needsReload = false;
  private appendListeners: ((ids: readonly number[]) => void)[] = [];
  private readonly completeWaiters: (() => void)[] = [];

  readonly #app: AppState;

  constructor(
    app: AppState,
    private readonly query: () => ListQuery,
    private readonly hooks: ListingHooks,
  ) {
    this.#app = app;
  }

  /** The id at a position (reactive). */
  at(index: number): number | undefined {
    void this.#version;
    return this.ids.at(index);
  }

  /** Position of an id, looking near `near` first; -1 when not listed. */
  indexOf(id: number, near = 0): number {
    void this.#version;
    return this.ids.indexOf(id, near);
  }

  slice(from: number, to: number): number[] {
    void this.#version;
    return this.ids.slice(from, to);
  }

  /** The ids as they are now (read, do not keep: the next change replaces or edits them). */
  current(): IdList {
    void this.#version;
    return this.ids;
  }

  /** A frozen copy of the ids (the image view's list). */
  snapshot(): IdList {
    return this.ids.copy();
  }

  /** Calls `fn` with the ids of every chunk that arrives until the listing is complete. */
  onAppend(fn: (ids: readonly number[]) => void): () => void {
    this.appendListeners.push(fn);
    return () => {
      this.appendListeners = this.appendListeners.filter((f) => f !== fn);
    };
  }

  /** The current ids, once every chunk is in. */
  async whenComplete(): Promise<IdList> {
    if (!this.#complete) await new Promise<void>((r) => this.completeWaiters.push(r));
    return this.ids;
  }

  /** Starts again from an empty list (a new filter or sort): shown as its chunks arrive. */
  reset(): void {
    // Whoever followed the old list's chunks (the image view) does not get the new one's.
    this.appendListeners = [];
    this.ids = new IdList();
    this.#length = 0;
    this.#complete = false;
    this.#version++;
    this.hooks.replaced();
    void this.load('grow');
  }

  /** Loads the list again and swaps it in when complete (after imports, undo, new suggestions). */
  reload(): void {
    void this.load('swap');
  }

  /** Label changes of these images: those that left the filter leave the list now. */
  labelsChanged(imageIds: readonly number[]): void {
    if (!this.query().byLabels || imageIds.length === 0) return;
    this.changed.push(...imageIds);
    if (!this.#syncing) void this.sync();
  }

  private async load(mode: 'grow' | 'swap'): Promise<void> {
    const generation = ++this.#generation;
    const { filter, sort } = this.query();
    const fresh = mode === 'grow' ? this.ids : new IdList(this.ids.length);
    this.building = mode === 'swap' ? fresh : null;
    this.#loading = true;
    this.#needsReload = false;
    let after: ListCursor | null = null;
    try {
      do {
        const page = await this.#app.api().library.listIds({
          filter,
          sort,
          after,
          limit: after === null ? FIRST_CHUNK : CHUNK,
        });
        if (generation !== this.#generation) return;
        fresh.push(page.ids);
        if (mode === 'grow') {
          this.#length = fresh.length;
          this.#version++;
          for (const fn of this.appendListeners) fn(page.ids);
        }
        after = page.next;
      } while (after !== null);
      if (mode === 'swap') {
        this.ids = fresh;
        this.#length = fresh.length;
        this.#version++;
        this.hooks.replaced();
      }
      this.#complete = true;
      this.appendListeners = [];
    } catch (err) {
      this.#app.report(err);
    } finally {
      if (generation === this.#generation) {
        this.building = null;
        this.#loading = false;
        for (const w of this.completeWaiters.splice(0)) w();
        if (this.#needsReload) this.reload();
      }
    }
  }

  /** Checks changed images against the filter, a batch at a time, until none are left. */
  private async sync(): Promise<void> {
    this.#syncing = true;
    try {
      while (this.changed.length > 0) {
        const batch = this.changed;
        this.changed = [];
        const { filter, sort, byLabels } = this.query();
        if (!byLabels) continue;
        const matching = await this.#app
          .api()
          .library.imageIds({ ...filter, imageIds: batch }, sort);
        const { leaving, joining } = membership(this.ids, batch, matching);
        if (leaving.size > 0) {
          // Gone from the chunks already in, whichever list is being built.
          this.building?.remove(leaving);
          const removed = this.ids.remove(leaving);
          this.#length = this.ids.length;
          this.#version++;
          this.hooks.removed(removed);
        }
        if (joining) {
          if (this.#loading) this.#needsReload = true;
          else this.reload();
        }
      }
    } catch (err) {
      this.#app.report(err);
    } finally {
      this.#syncing = false;
    }
  }
}
