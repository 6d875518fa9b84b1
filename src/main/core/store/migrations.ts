import type Database from 'better-sqlite3';

/** One forward step of the schema; `version` is the `user_version` after it ran. */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

/**
 * The schema's history. Never edit a released step: append a new one.
 * Image paths are stored relative to their root so a project survives a moved drive.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
    version: 7,
    description: 'the labels each run learnt from',
    up(db) {
      db.exec(`
        -- JSON {"classIds": [...], "labels": [[imageId, classIndex], ...]}: what the run took
        -- as truth, so a label fixed since (and the run being stale) can be told.
        ALTER TABLE runs ADD COLUMN dataset_labels TEXT;
      `);
    },
  },
  {
    version: 8,
    description: 'model predictions (suggestions) per run and image',
    up(db) {
      db.exec(`
        -- A run's class probabilities for every readable image: rebuildable from the run's
        -- head and the embeddings. A suggestion is never a label; accepting one writes a
        -- human label (with the run and confidence in its history).
        CREATE TABLE predictions (
          run_id     INTEGER NOT NULL,
          image_id   INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
          class_id   INTEGER REFERENCES classes(id) ON DELETE SET NULL,
          confidence REAL NOT NULL,
          margin     REAL NOT NULL,
          entropy    REAL NOT NULL,
          probs      BLOB NOT NULL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (run_id, image_id)
        ) STRICT;
        CREATE INDEX predictions_margin ON predictions(run_id, margin);
        CREATE INDEX predictions_class ON predictions(run_id, class_id, confidence);
      `);
    },
  },
  {
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
  },
  {
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
  },
  {
    version: 14,
    description:
      'runs: the estimate (validation figures, cross-validation, refit) and the head it was measured on',
    up(db) {
      db.exec(`
        ALTER TABLE runs ADD COLUMN estimate TEXT;
        ALTER TABLE runs ADD COLUMN estimate_head TEXT;
      `);
    },
  },
  {
    version: 16,
    description: 'a title people give a training run, and the name of its base model',
    up(db) {
      db.exec(`
        -- The base's name as it was when the run trained (an imported model's id says nothing).
        ALTER TABLE runs ADD COLUMN title TEXT;
        ALTER TABLE runs ADD COLUMN base_name TEXT;
      `);
    },
  },
];

/** The schema version this build of the app writes. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Runs every step above `from`, each in its own transaction with its version bump. */
export function migrate(db: Database.Database, from: number): number {
  let version = from;
  for (const step of MIGRATIONS) {
    if (step.version <= version) continue;
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    })();
    version = step.version;
  }
  return version;
}
