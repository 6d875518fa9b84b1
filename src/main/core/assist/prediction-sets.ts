import type Database from 'better-sqlite3';

/** One imported set of predictions (the owner of table `prediction_sets`). */
export interface PredictionSet {
  id: number;
  name: string;
  /** The run id its rows in `predictions` carry. */
  runId: number;
  classes: string[];
  sources: string[];
  importedAt: string;
}

interface SetRow {
  id: number;
  name: string;
  classes: string;
  sources: string;
  imported_at: string;
}

/** The run id of an imported set: below -1, so never a training run's nor the "none" marker. */
export function setRunId(setId: number): number {
  return -(setId + 1);
}

/** True when a predictions run id names an imported set rather than a training run. */
export function isImportedRun(runId: number): boolean {
  return runId < -1;
}

/** Named sets of predictions merged in from batch runs outside the project. */
export class PredictionSets {
  constructor(private readonly db: Database.Database) {}

  /** The set of this name, created when new; its classes and sources are replaced. */
  upsert(name: string, classes: readonly string[], sources: readonly string[]): PredictionSet {
    this.db
      .prepare(
        `INSERT INTO prediction_sets (name, classes, sources, imported_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET classes = excluded.classes, sources = excluded.sources,
           imported_at = excluded.imported_at`,
      )
      .run(name, JSON.stringify(classes), JSON.stringify(sources), new Date().toISOString());
    const row = this.db.prepare('SELECT * FROM prediction_sets WHERE name = ?').get(name) as SetRow;
    return toSet(row);
  }

  /** Records what the import found (counts), as JSON. */
  setSummary(id: number, summary: object): void {
    this.db
      .prepare('UPDATE prediction_sets SET summary = ? WHERE id = ?')
      .run(JSON.stringify(summary), id);
  }

  /** The set whose rows carry this run id, or null. */
  byRunId(runId: number): PredictionSet | null {
    if (!isImportedRun(runId)) return null;
    const row = this.db.prepare('SELECT * FROM prediction_sets WHERE id = ?').get(-runId - 1) as
      SetRow | undefined;
    return row ? toSet(row) : null;
  }
}

function toSet(row: SetRow): PredictionSet {
  return {
    id: row.id,
    name: row.name,
    runId: setRunId(row.id),
    classes: JSON.parse(row.classes) as string[],
    sources: JSON.parse(row.sources) as string[],
    importedAt: row.imported_at,
  };
}
