import type { Migration } from './migration';

export const step: Migration = {
  version: 19,
  description: 'named sets of predictions imported from batch (cluster) runs',
  up(db) {
    db.exec(`
        -- Predictions made outside the project (ocellus predict --manifest, one shard per
        -- cluster task) and merged back in. Their rows in predictions carry run_id = -(id + 1),
        -- so they never meet a training run's id nor the -1 that means "no run".
        CREATE TABLE prediction_sets (
          id          INTEGER PRIMARY KEY,
          name        TEXT NOT NULL UNIQUE,
          classes     TEXT NOT NULL DEFAULT '[]',
          sources     TEXT NOT NULL DEFAULT '[]',
          summary     TEXT,
          imported_at TEXT NOT NULL
        ) STRICT;
      `);
  },
};
