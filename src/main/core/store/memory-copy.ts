import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * A read-only database in memory from a project file's bytes and, when one was left, its
 * `-wal`'s bytes: SQLite itself applies the journal's committed pages to a private copy in
 * the temporary folder (checkpoint), so the copy shows what the last writer committed, not
 * the older state of the file alone. Nothing is written beside the project.
 */
export function memoryCopy(
  main: Buffer,
  wal: Buffer | null,
  options: Database.Options,
): Database.Database {
  const bytes = wal ? checkpointed(main, wal, options) : main;
  // Marked as a rollback-journal file (header bytes 18-19), which memory databases need.
  bytes[18] = 1;
  bytes[19] = 1;
  return new Database(bytes, { ...options, readonly: true });
}

function checkpointed(main: Buffer, wal: Buffer, options: Database.Options): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-read-only-'));
  try {
    const file = path.join(dir, 'project.ocellus');
    fs.writeFileSync(file, main, { mode: 0o600 });
    fs.writeFileSync(`${file}-wal`, wal, { mode: 0o600 });
    const db = new Database(file, { ...options, readonly: false, fileMustExist: true });
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      return db.serialize();
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
