import type Database from 'better-sqlite3';
import type { ExportKind, ExportRecord } from '../../../shared/types';

const KEEP = 50;

/** Records one export (kept: the newest 50) and returns it. */
export function recordExport(
  db: Database.Database,
  e: Omit<ExportRecord, 'id' | 'createdAt'>,
): ExportRecord {
  const createdAt = new Date().toISOString();
  const id = Number(
    db
      .prepare(
        'INSERT INTO exports (kind, path, run_id, state, summary, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(e.kind, e.path, e.runId, e.state, e.summary, createdAt).lastInsertRowid,
  );
  db.prepare(
    'DELETE FROM exports WHERE id NOT IN (SELECT id FROM exports ORDER BY id DESC LIMIT ?)',
  ).run(KEEP);
  return { ...e, id, createdAt };
}

/** The project's recent exports, newest first. */
export function listExports(db: Database.Database, limit = 20): ExportRecord[] {
  return (
    db.prepare('SELECT * FROM exports ORDER BY id DESC LIMIT ?').all(limit) as {
      id: number;
      kind: ExportKind;
      path: string;
      run_id: number | null;
      state: 'done' | 'failed';
      summary: string;
      created_at: string;
    }[]
  ).map((r) => ({
    id: r.id,
    kind: r.kind,
    path: r.path,
    runId: r.run_id,
    state: r.state,
    summary: r.summary,
    createdAt: r.created_at,
  }));
}
