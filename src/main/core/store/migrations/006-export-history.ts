import type { Migration } from './migration';

export const step: Migration = {
  version: 6,
  description: 'export history',
  up(db) {
    db.exec(`
        -- What was exported where, so the Export view can list and reopen recent exports.
        CREATE TABLE exports (
          id         INTEGER PRIMARY KEY,
          kind       TEXT NOT NULL,
          path       TEXT NOT NULL,
          run_id     INTEGER,
          state      TEXT NOT NULL CHECK (state IN ('done', 'failed')),
          summary    TEXT NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;
      `);
  },
};
