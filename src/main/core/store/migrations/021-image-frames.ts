import type Database from 'better-sqlite3';
import type { Migration } from './migration';

/**
 * Multi-frame files (DICOM cine, stacks) hold one image per frame: `frame` joins the unique
 * key, `frames` says how many the file has (NULL for ordinary one-image files). SQLite cannot
 * change a UNIQUE constraint in place, so the table is rebuilt from its own current definition
 * (whatever columns and indexes earlier steps added), with foreign keys off so that dropping
 * the old table cascades into nothing; the runner checks every reference afterwards.
 */
export const step: Migration = {
  version: 21,
  description: 'one image row per frame of a multi-frame file: frame in the unique key',
  rebuildsTables: true,
  up(db) {
    rebuildImages(db);
  },
};

function rebuildImages(db: Database.Database): void {
  const table = db
    .prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'images'")
    .pluck()
    .get() as string;
  const oldKey = /UNIQUE\s*\(\s*root_id\s*,\s*rel_path\s*\)/i;
  if (!oldKey.test(table)) throw new Error('images: the (root_id, rel_path) key was not found');
  const created = table
    .replace(/^CREATE TABLE\s+("?images"?)/i, 'CREATE TABLE images_new')
    // Columns before the table constraints, where SQLite's own ADD COLUMN puts them.
    .replace(
      oldKey,
      'frame INTEGER NOT NULL DEFAULT 0, frames INTEGER, UNIQUE (root_id, rel_path, frame)',
    );
  const indexes = db
    .prepare(
      "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'images' AND sql IS NOT NULL",
    )
    .pluck()
    .all() as string[];
  // Stored columns only: generated ones are recomputed by the new table.
  const columns = (db.prepare('PRAGMA table_xinfo(images)').all() as StoredColumn[])
    .filter((c) => c.hidden === 0)
    .map((c) => `"${c.name}"`)
    .join(', ');
  db.exec(created);
  db.exec(`INSERT INTO images_new (${columns}) SELECT ${columns} FROM images`);
  db.exec('DROP TABLE images');
  db.exec('ALTER TABLE images_new RENAME TO images');
  for (const sql of indexes) db.exec(sql);
  // The grid's path order walks this index from a cursor: a file's frames follow each other.
  // The id ends the order so that a path cursor has a length no other order's has.
  db.exec(`DROP INDEX IF EXISTS images_live_path;
    CREATE INDEX images_live_path ON images(root_id, rel_path, frame, id, status) WHERE missing = 0;`);
}

interface StoredColumn {
  name: string;
  hidden: number;
}
