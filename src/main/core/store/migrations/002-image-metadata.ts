import type { Migration } from './migration';

export const step: Migration = {
  version: 2,
  description: 'image metadata (EXIF, sequences), missing files, derivative state, orphan labels',
  up(db) {
    db.exec(`
        ALTER TABLE images ADD COLUMN format TEXT;
        ALTER TABLE images ADD COLUMN taken_at TEXT;
        ALTER TABLE images ADD COLUMN camera_make TEXT;
        ALTER TABLE images ADD COLUMN camera_model TEXT;
        ALTER TABLE images ADD COLUMN camera_serial TEXT;
        ALTER TABLE images ADD COLUMN orientation INTEGER;
        ALTER TABLE images ADD COLUMN gps_lat REAL;
        ALTER TABLE images ADD COLUMN gps_lon REAL;
        ALTER TABLE images ADD COLUMN gps_alt REAL;
        ALTER TABLE images ADD COLUMN sequence_id INTEGER;
        -- The file is gone; the row stays so a moved file finds its labels again by hash.
        ALTER TABLE images ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;
        -- Thumbnail and model-input cache written (they are rebuildable, so only a flag).
        ALTER TABLE images ADD COLUMN derived INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX images_sequence ON images(sequence_id);
        CREATE INDEX images_root_path ON images(root_id, rel_path);
        CREATE INDEX images_taken ON images(taken_at);

        -- Labels of images whose root was removed with "keep labels", keyed by content.
        CREATE TABLE orphan_labels (
          hash       TEXT NOT NULL,
          class_id   INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
          source     TEXT NOT NULL CHECK (source IN ('human', 'model')),
          run_id     INTEGER,
          confidence REAL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (hash, class_id)
        ) STRICT, WITHOUT ROWID;

        INSERT OR IGNORE INTO meta (key, value) VALUES ('sequence_gap_seconds', '60');
      `);
  },
};
