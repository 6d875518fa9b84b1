import type { Migration } from './migration';

export const step: Migration = {
  version: 18,
  description: "a run's operating point: the threshold its positive class is called at",
  up(db) {
    db.exec(`
        -- One per run at most; its bundles and every predict path apply it.
        CREATE TABLE operating_points (
          run_id  INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
          point   TEXT NOT NULL,
          set_at  TEXT NOT NULL
        ) STRICT;
      `);
  },
};
