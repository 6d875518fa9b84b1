import type { Migration } from './migration';

export const step: Migration = {
  version: 3,
  description: 'embedding cache',
  up(db) {
    db.exec(`
        -- One vector per (image content, base model + preprocessing). A rebuildable cache:
        -- losing it costs time, never data. vector is float32 little-endian; NULL with
        -- error set when the image could not be embedded.
        CREATE TABLE embeddings (
          id         INTEGER PRIMARY KEY,
          model_key  TEXT NOT NULL,
          hash       TEXT NOT NULL,
          dim        INTEGER NOT NULL,
          vector     BLOB,
          error      TEXT,
          created_at TEXT NOT NULL,
          UNIQUE (model_key, hash)
        ) STRICT;
      `);
  },
};
