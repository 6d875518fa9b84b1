import type { Migration } from './migration';

export const step: Migration = {
  version: 5,
  description: 'training runs',
  up(db) {
    db.exec(`
        CREATE TABLE runs (
          id          INTEGER PRIMARY KEY,
          status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
          error       TEXT,
          config      TEXT NOT NULL,
          backend     TEXT,
          classes     TEXT NOT NULL DEFAULT '[]',
          counts      TEXT NOT NULL DEFAULT '{}',
          split       TEXT,
          history     TEXT NOT NULL DEFAULT '[]',
          best_epoch  INTEGER,
          leaked      INTEGER NOT NULL DEFAULT 0,
          dataset_key TEXT,
          head        TEXT,
          started_at  TEXT NOT NULL,
          finished_at TEXT
        ) STRICT;
      `);
  },
};
