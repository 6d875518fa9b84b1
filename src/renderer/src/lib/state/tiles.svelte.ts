import type { ImageTile } from '../../../../shared/types';
import { TileStore } from '../tile-store';
import type { AppState } from './app.svelte';

/** Tiles kept at most: a few screens of the grid, whatever was scrolled past. */
export const MAX_TILES = 2000;
const BATCH = 240;

/**
 * Tiles by image id, fetched in batches of a page as the grid or the image view asks for
 * them. At most MAX_TILES stay (the least recently asked for go first), so the page's heap
 * does not grow with what was scrolled. A stale tile (its labels changed) is still shown
 * until its new version arrives.
 */
export class TileCache {
  /** Bumped whenever tiles arrive or go stale: what reads a tile depends on it. */
  #version = $state(0);
  get version(): number {
    return this.#version;
  }

  /** Requests in flight. */
  #inflight = $state(0);
  get inflight(): number {
    return this.#inflight;
  }

  private readonly store = new TileStore(MAX_TILES);
  private queue: number[] = [];
  private waiters: { id: number; resolve: (t: ImageTile | null) => void }[] = [];
  #generation = 0;
  readonly #app: AppState;

  constructor(app: AppState) {
    this.#app = app;
  }

  /** The tile of an image, if it is here (stale or not). */
  get(id: number): ImageTile | undefined {
    void this.#version;
    return this.store.get(id);
  }

  /** Whether the image was asked for and is no longer in the project (its file went). */
  gone(id: number): boolean {
    void this.#version;
    return this.store.isGone(id);
  }

  /** How many tiles are kept now. */
  get size(): number {
    void this.#version;
    return this.store.size;
  }

  /**
   * Asks for tiles: missing ones (and stale ones, unless `refreshStale` is off) are fetched
   * soon, in batches; all count as just used.
   */
  want(ids: Iterable<number>, refreshStale = true): void {
    const fetch = this.store.touch(ids, refreshStale);
    if (fetch.length === 0) return;
    const first = this.queue.length === 0;
    this.queue.push(...fetch);
    // After the current task: every cell of a render asks, then one request goes per batch.
    if (first) queueMicrotask(() => this.flush());
  }

  /** One tile, fetched now if it is not here or stale (null when the image is gone). */
  fetch(id: number): Promise<ImageTile | null> {
    if (this.store.isFresh(id)) return Promise.resolve(this.store.get(id) ?? null);
    if (this.store.isGone(id)) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiters.push({ id, resolve });
      this.want([id]);
    });
  }

  /** Marks tiles stale (all when no ids): shown as they are until fetched again. */
  invalidate(ids?: Iterable<number>): void {
    this.store.invalidate(ids);
    this.#version++;
  }

  /** Forgets everything (another project). */
  clear(): void {
    this.#generation++;
    this.store.clear();
    this.queue = [];
    for (const w of this.waiters.splice(0)) w.resolve(null);
    this.#version++;
  }

  private flush(): void {
    const ids = this.queue;
    this.queue = [];
    for (let i = 0; i < ids.length; i += BATCH) void this.request(ids.slice(i, i + BATCH));
  }

  private async request(ids: number[]): Promise<void> {
    const generation = this.#generation;
    this.#inflight++;
    try {
      const tiles = await this.#app.api().library.tiles(ids);
      if (generation !== this.#generation) return;
      this.store.put(ids, tiles);
      this.#version++;
    } catch (err) {
      this.#app.report(err);
    } finally {
      if (generation === this.#generation) this.store.settle(ids);
      const done = this.waiters.filter((w) => ids.includes(w.id));
      this.waiters = this.waiters.filter((w) => !ids.includes(w.id));
      for (const w of done) w.resolve(this.store.get(w.id) ?? null);
      this.#inflight--;
    }
  }
}
