import type { Migration } from './migration';

export const step: Migration = {
  version: 17,
  description: 'detections: boxes per image content and detector, and which images were processed',
  up(db) {
    db.exec(`
        -- Which (image content, detector) pairs a detector has processed, with the image's size
        -- or why it failed: the cache the detection job resumes from. 'detector' is the
        -- detector's id and model hash, so a changed model never reuses old boxes.
        CREATE TABLE detection_images (
          hash       TEXT NOT NULL,
          detector   TEXT NOT NULL,
          width      INTEGER,
          height     INTEGER,
          error      TEXT,
          created_at TEXT NOT NULL,
          PRIMARY KEY (hash, detector)
        ) STRICT, WITHOUT ROWID;

        -- Boxes normalised to the image (x, y of the top-left corner, width, height in [0, 1]).
        -- A model's box can be confirmed or deleted by a person (a deleted box stays, so the next
        -- run does not bring it back); people draw boxes too (source 'human'); class_id is the
        -- box's label (class_conf its confidence when it came from a classifier's results).
        CREATE TABLE detections (
          id         INTEGER PRIMARY KEY,
          hash       TEXT NOT NULL,
          detector   TEXT NOT NULL,
          category   TEXT NOT NULL CHECK (category IN ('animal', 'person', 'vehicle')),
          confidence REAL NOT NULL,
          x          REAL NOT NULL,
          y          REAL NOT NULL,
          w          REAL NOT NULL,
          h          REAL NOT NULL,
          source     TEXT NOT NULL CHECK (source IN ('model', 'human', 'import')),
          status     TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'confirmed', 'deleted')),
          static     INTEGER NOT NULL DEFAULT 0,
          class_id   INTEGER REFERENCES classes(id) ON DELETE SET NULL,
          class_conf REAL,
          created_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX detections_hash ON detections(hash, detector);
        CREATE INDEX detections_detector ON detections(detector, category, confidence);
      `);
  },
};
