import type { Migration } from './migration';

export const step: Migration = {
  version: 1,
  description: 'project metadata, roots, images, classes, labels with history',
  up(db) {
    db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE roots (
          id                  INTEGER PRIMARY KEY,
          path                TEXT NOT NULL UNIQUE,
          labels_from_folders INTEGER NOT NULL DEFAULT 0,
          added_at            TEXT NOT NULL
        ) STRICT;

        CREATE TABLE images (
          id          INTEGER PRIMARY KEY,
          root_id     INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
          rel_path    TEXT NOT NULL,
          status      TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'ok', 'broken', 'unsupported')),
          error       TEXT,
          size        INTEGER,
          mtime_ms    INTEGER,
          hash        TEXT,
          width       INTEGER,
          height      INTEGER,
          imported_at TEXT NOT NULL,
          UNIQUE (root_id, rel_path)
        ) STRICT;
        CREATE INDEX images_status ON images(status);
        CREATE INDEX images_hash ON images(hash);

        CREATE TABLE classes (
          id         INTEGER PRIMARY KEY,
          name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
          color      TEXT NOT NULL,
          hotkey     TEXT,
          sort_order INTEGER NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;

        -- The current labels. A human label outranks a model's: source says which.
        CREATE TABLE labels (
          image_id   INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
          class_id   INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
          source     TEXT NOT NULL CHECK (source IN ('human', 'model')),
          run_id     INTEGER,
          confidence REAL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (image_id, class_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX labels_class ON labels(class_id);

        -- Every change to labels, for undo and for "who labelled this, when".
        CREATE TABLE label_history (
          id         INTEGER PRIMARY KEY,
          image_id   INTEGER NOT NULL,
          class_id   INTEGER NOT NULL,
          action     TEXT NOT NULL CHECK (action IN ('add', 'remove')),
          source     TEXT NOT NULL CHECK (source IN ('human', 'model')),
          run_id     INTEGER,
          confidence REAL,
          batch_id   INTEGER,
          at         TEXT NOT NULL
        ) STRICT;
        CREATE INDEX label_history_image ON label_history(image_id);
      `);
  },
};
