import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { IdPage, ListCursor } from '../../../shared/types';

/**
 * One stretch of a listing's order: the rows of `from` that match, ordered by `keys` (all
 * one way). A listing is one or more parts, one after the other (images with a suggestion,
 * then those without).
 */
export interface OrderPart {
  from: string;
  where: string[];
  /** Key expressions; together unique, each the column of an index in that order. */
  keys: string[];
  descending: boolean;
}

const MAX_KEYS = 4;

/**
 * The ids of up to `limit` rows after a cursor (keyset paging): each part is walked on its
 * index from the last key seen, so a chunk deep in a million rows costs what the first one
 * does. A chunk also stops after about `budgetMs`, so a long listing never holds up other
 * calls for long. The cursor is `[part, ...keys of the last row]`; `next` is null at the end.
 */
export function keysetChunk(
  db: Database.Database,
  parts: readonly OrderPart[],
  filter: { where: string; params: Record<string, unknown> },
  after: ListCursor | null | undefined,
  limit: number,
  budgetMs = Infinity,
): IdPage {
  let { part, key } = parseCursor(parts, after);
  const ids: number[] = [];
  const deadline = performance.now() + budgetMs;
  while (part < parts.length) {
    const p = parts[part] as OrderPart;
    const want = limit - ids.length;
    const conditions = [filter.where, ...p.where];
    const keyParams: Record<string, unknown> = {};
    if (key) {
      const marks = key.map((v, i) => {
        keyParams[`k${i}`] = v;
        return `@k${i}`;
      });
      conditions.push(`(${p.keys.join(', ')}) ${p.descending ? '<' : '>'} (${marks.join(', ')})`);
    }
    const rows = db
      .prepare(chunkSql(p, conditions))
      .raw()
      .iterate({ ...filter.params, ...keyParams, limit: want }) as Iterable<
      (string | number | null)[]
    >;
    let n = 0;
    let last: (string | number | null)[] | null = null;
    let late = false;
    for (const r of rows) {
      ids.push(r[0] as number);
      last = r;
      n++;
      // The clock is read every 512 rows: cheap, and a few ms late at worst.
      if ((n & 511) === 0 && performance.now() > deadline) {
        late = true;
        break;
      }
    }
    if ((n === want || late) && last) return { ids, next: [part, ...last.slice(1)] };
    part++;
    key = null;
  }
  return { ids, next: null };
}

/** How SQLite runs a chunk after a cursor in each part (EXPLAIN QUERY PLAN), for checks. */
export function keysetPlan(
  db: Database.Database,
  parts: readonly OrderPart[],
  filter: { where: string; params: Record<string, unknown> },
): string[][] {
  return parts.map((p) => {
    const keyParams = Object.fromEntries(p.keys.map((_, i) => [`k${i}`, 0]));
    const cursor = `(${p.keys.join(', ')}) ${p.descending ? '<' : '>'} (${p.keys.map((_, i) => `@k${i}`).join(', ')})`;
    const rows = db
      .prepare(`EXPLAIN QUERY PLAN ${chunkSql(p, [filter.where, ...p.where, cursor])}`)
      .all({ ...filter.params, ...keyParams, limit: 240 }) as { detail: string }[];
    return rows.map((r) => r.detail);
  });
}

function chunkSql(p: OrderPart, conditions: string[]): string {
  const dir = p.descending ? ' DESC' : '';
  return `SELECT i.id, ${p.keys.map((k, i) => `${k} AS k${i}`).join(', ')} FROM ${p.from}
           WHERE ${conditions.join(' AND ')} ORDER BY ${p.keys.map((k) => k + dir).join(', ')}
           LIMIT @limit`;
}

/** The ORDER BY that lists the same rows in the same order as the parts, in one query. */
export function orderByOf(parts: readonly OrderPart[], lastPartKey: string): string {
  const keys = (p: OrderPart) => p.keys.map((k) => k + (p.descending ? ' DESC' : ''));
  const [first, second] = parts;
  if (!first) return lastPartKey;
  if (!second) return keys(first).join(', ');
  // Two parts: rows of the first (those with a joined row) before the rest.
  return [`${lastPartKey} IS NULL`, ...keys(first), ...keys(second)].join(', ');
}

function parseCursor(
  parts: readonly OrderPart[],
  after: ListCursor | null | undefined,
): { part: number; key: (string | number | null)[] | null } {
  if (after === null || after === undefined) return { part: 0, key: null };
  const bad = () =>
    new OcellusError('INVALID_ARGUMENT', 'The cursor does not belong to this listing');
  if (!Array.isArray(after) || after.length < 2 || after.length > MAX_KEYS + 1) throw bad();
  const [part, ...key] = after as unknown[];
  if (typeof part !== 'number' || !Number.isInteger(part) || part < 0 || part >= parts.length)
    throw bad();
  if (key.length !== parts[part]?.keys.length) throw bad();
  if (!key.every((v) => v === null || typeof v === 'string' || typeof v === 'number')) throw bad();
  return { part, key: key as (string | number | null)[] };
}
