import type { Migration } from './migration';

export const step: Migration = {
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
};
