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
  /** Gone ones to ask for again (they may have come back); still gone until a tile arrives. */
  private readonly recheck = new Set<number>();
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
      const asked = !this.gone.has(id) || this.recheck.has(id);
      if (due && asked && !this.requested.has(id)) {
        this.recheck.delete(id);
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
      this.gone.delete(t.id);
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

  /**
   * Marks tiles stale (every tile when no ids). Gone ones may come back: they are asked for
   * again, and stay gone until their tile arrives (a key must not act on them meanwhile).
   */
  invalidate(ids?: Iterable<number>): void {
    if (ids === undefined) {
      for (const id of this.map.keys()) this.stale.add(id);
      for (const id of this.gone) this.recheck.add(id);
      return;
    }
    for (const id of ids) {
      if (this.map.has(id)) this.stale.add(id);
      if (this.gone.has(id)) this.recheck.add(id);
    }
  }

  clear(): void {
    this.map.clear();
    this.stale.clear();
    this.gone.clear();
    this.recheck.clear();
    this.requested.clear();
  }
}
