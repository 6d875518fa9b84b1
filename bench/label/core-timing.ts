import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { LibraryDb } from '../../src/main/core/library/library-db';
import type { IdPage, ListCursor } from '../../src/shared/types';
import { stats, type Stats } from '../lib/stats';

export interface DepthTiming {
  /** Position of the page's first image. */
  depth: number;
  /** Keyset: the next 240 ids after a cursor. */
  keyset: Stats;
  /** The 240 tiles of those ids. */
  tiles: Stats;
  /** The plain way: a page of 240 tiles by LIMIT/OFFSET. */
  offset: Stats;
}

const PAGE = 240;
const REPS = 30;

/**
 * A grid page of 240 in the core, at the start, middle and end of the listing, timed in this
 * process on the project file with the same code the server runs (read-only connection):
 * keyset ids + tiles, beside LIMIT/OFFSET at the same depth.
 */
export function timeGridPages(project: string, total: number): DepthTiming[] {
  const db = new Database(project, { readonly: true });
  try {
    const ldb = new LibraryDb(db);
    const query = { filter: {}, sort: 'path' as const };
    const depths = [0, Math.floor(total / 2), Math.max(0, total - PAGE)];
    const cursors = new Map<number, ListCursor | null>([[0, null]]);
    let seen = 0;
    let page: IdPage = { ids: [], next: null };
    for (const depth of depths.slice(1)) {
      // Walk to the depth in big chunks, keeping the cursor that ends just before it.
      while (seen < depth) {
        page = ldb.listIds({ ...query, after: page.next, limit: Math.min(50_000, depth - seen) });
        seen += page.ids.length;
      }
      cursors.set(depth, page.next);
    }
    return depths.map((depth) => {
      const after = cursors.get(depth) ?? null;
      const time = (fn: () => unknown) => {
        const xs: number[] = [];
        for (let i = 0; i < REPS; i++) {
          const t = performance.now();
          fn();
          xs.push(performance.now() - t);
        }
        return stats(xs);
      };
      const ids = ldb.listIds({ ...query, after, limit: PAGE }).ids;
      return {
        depth,
        keyset: time(() => ldb.listIds({ ...query, after, limit: PAGE })),
        tiles: time(() => ldb.tiles(ids)),
        offset: time(() => ldb.list({ ...query, offset: depth, limit: PAGE })),
      };
    });
  } finally {
    db.close();
  }
}
