import type Database from 'better-sqlite3';
import type { RunOperatingPoint } from '../../../shared/types';

/** The owner of the `operating_points` table: a run's chosen threshold and its figures. */
export class OperatingPointStore {
  constructor(private readonly db: Database.Database) {}

  /** The run's operating point, or null when none is set. */
  get(runId: number): RunOperatingPoint | null {
    const row = this.db
      .prepare('SELECT point FROM operating_points WHERE run_id = ?')
      .get(runId) as { point: string } | undefined;
    return row ? (JSON.parse(row.point) as RunOperatingPoint) : null;
  }

  /** Sets (or replaces) the run's operating point. */
  set(point: RunOperatingPoint): void {
    this.db
      .prepare('INSERT OR REPLACE INTO operating_points (run_id, point, set_at) VALUES (?, ?, ?)')
      .run(point.runId, JSON.stringify(point), point.setAt);
  }

  /** Removes the run's operating point; true when there was one. */
  clear(runId: number): boolean {
    return this.db.prepare('DELETE FROM operating_points WHERE run_id = ?').run(runId).changes > 0;
  }
}
