import type { Migration } from './migration';

export const step: Migration = {
  version: 4,
  description: 'label batches for undo and redo',
  up(db) {
    db.exec(`
        -- One user action (possibly over many images); label_history rows point at it.
        CREATE TABLE label_batches (
          id          INTEGER PRIMARY KEY,
          description TEXT NOT NULL,
          state       TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('done', 'undone', 'discarded')),
          created_at  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX label_history_batch ON label_history(batch_id);
      `);
  },
};
