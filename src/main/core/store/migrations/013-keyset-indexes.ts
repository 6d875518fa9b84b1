import type { Migration } from './migration';

export const step: Migration = {
  version: 13,
  description: 'an index per grid order, so a page at any depth is found from a cursor',
  up(db) {
    db.exec(`
        -- Keyset paging: each sort order is an index the grid's listing walks from the last
        -- key it saw, instead of counting rows past an OFFSET.
        CREATE INDEX images_live_path ON images(root_id, rel_path, status) WHERE missing = 0;
        -- Capture time with the unknown last, as stored columns an index can seek on.
        ALTER TABLE images ADD COLUMN time_key TEXT
          GENERATED ALWAYS AS (coalesce(taken_at, '~')) VIRTUAL;
        ALTER TABLE images ADD COLUMN mtime_key INTEGER
          GENERATED ALWAYS AS (coalesce(mtime_ms, -1)) VIRTUAL;
        CREATE INDEX images_live_time ON images(time_key, mtime_key, id) WHERE missing = 0;
        DROP INDEX predictions_margin;
        CREATE INDEX predictions_margin ON predictions(run_id, margin, image_id);
        CREATE INDEX predictions_entropy ON predictions(run_id, entropy, image_id);
        CREATE INDEX predictions_confidence ON predictions(run_id, confidence, image_id);
      `);
  },
};
