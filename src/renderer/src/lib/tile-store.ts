import type { ImageTile } from '../../../shared/types';

/**
 * The bookkeeping of the page's tiles: at most `capacity` kept, the least recently asked
 * for dropped first; which are stale (shown until fetched again), gone (never asked again)
 * or being fetched. No reactivity here: the state module around it signals changes.
 */
export class TileStore {
  private readonly map = new Map<number, ImageTile>();
  private readonly stale = new Set<number>();
  private readonly gone = new Set<number>();
  private readonly requested = new Set<number>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  get(id: number): ImageTile | undefined {
    return this.map.get(id);
  }

  isFresh(id: number): boolean {
    return this.map.has(id) && !this.stale.has(id);
  }

  isGone(id: number): boolean {
    return this.gone.has(id);
  }

  /**
   * Counts these as just used; returns those to fetch: missing ones, and stale ones unless
   * `refreshStale` is off (ahead of time a stale tile can wait), none already on their way.
   */
  touch(ids: Iterable<number>, refreshStale = true): number[] {
    const fetch: number[] = [];
    for (const id of ids) {
      const t = this.map.get(id);
      if (t) {
        // Map order is the recency order: move to the end.
        this.map.delete(id);
        this.map.set(id, t);
      }
      const due = !t || (refreshStale && this.stale.has(id));
      if (due && !this.requested.has(id) && !this.gone.has(id)) {
        this.requested.add(id);
        fetch.push(id);
      }
    }
    return fetch;
  }

  /** What a fetch of `asked` returned: those not returned are gone. Then evicts. */
  put(asked: readonly number[], tiles: readonly ImageTile[]): void {
    const got = new Set<number>();
    for (const t of tiles) {
      got.add(t.id);
      this.map.delete(t.id);
      this.map.set(t.id, t);
      this.stale.delete(t.id);
    }
    for (const id of asked) {
      if (got.has(id)) continue;
      this.map.delete(id);
      this.stale.delete(id);
      this.gone.add(id);
    }
    for (const id of this.map.keys()) {
      if (this.map.size <= this.capacity) break;
      this.map.delete(id);
      this.stale.delete(id);
    }
  }

  /** A fetch ended (arrived or failed): these may be asked for again. */
  settle(asked: readonly number[]): void {
    for (const id of asked) this.requested.delete(id);
  }

  /** Marks tiles stale (every tile when no ids); gone ones may come back. */
  invalidate(ids?: Iterable<number>): void {
    if (ids === undefined) {
      for (const id of this.map.keys()) this.stale.add(id);
      this.gone.clear();
      return;
    }
    for (const id of ids) {
      if (this.map.has(id)) this.stale.add(id);
      this.gone.delete(id);
    }
  }

  clear(): void {
    this.map.clear();
    this.stale.clear();
    this.gone.clear();
    this.requested.clear();
  }
}
