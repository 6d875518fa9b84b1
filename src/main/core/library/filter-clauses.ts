import type Database from 'better-sqlite3';
import type { ImageFilter } from '../../../shared/types';

/** WHERE clauses (over images `i`) and their named parameters for part of an image filter. */
export interface FilterClauses {
  clauses: string[];
  params: Record<string, unknown>;
}

/** Builds the clauses of the filter fields a room above the library owns (detections). */
export type FilterClauseBuilder = (db: Database.Database, f: ImageFilter) => FilterClauses;

const builders = new Set<FilterClauseBuilder>();

/**
 * Lets a room above the library add conditions to the image query (the grid's detection
 * filter), so its filters run inside the one SQL query like the library's own; the service
 * registers them. The library cannot import those rooms: imports only point down.
 */
export function addFilterClauses(builder: FilterClauseBuilder): void {
  builders.add(builder);
}

/** The clauses every registered builder adds for a filter. */
export function extraFilterClauses(db: Database.Database, f: ImageFilter): FilterClauses {
  const out: FilterClauses = { clauses: [], params: {} };
  for (const build of builders) {
    const part = build(db, f);
    out.clauses.push(...part.clauses);
    Object.assign(out.params, part.params);
  }
  return out;
}
