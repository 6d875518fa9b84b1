import type { Migration } from './migration';

export const step: Migration = {
  version: 11,
  description: 'image metadata (key = value per image); fine-tuned weights of training runs',
  up(db) {
    db.exec(`
        CREATE TABLE image_meta (
          image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
          key      TEXT NOT NULL,
          value    TEXT NOT NULL,
          PRIMARY KEY (image_id, key)
        ) STRICT;
        CREATE INDEX image_meta_key ON image_meta (key, value);
        CREATE TABLE run_weights (
          run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
          meta   TEXT NOT NULL,
          data   BLOB NOT NULL
        ) STRICT;
      `);
  },
};
