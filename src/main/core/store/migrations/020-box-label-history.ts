import type { Migration } from './migration';

export const step: Migration = {
  version: 20,
  description: 'box labels: their history per label batch, so labelling a box undoes like an image',
  up(db) {
    db.exec(`
        -- One row per box a label batch changed (detections.class_id and status before and
        -- after), so undo and redo of the batch put the box back; label_batches holds the batch.
        CREATE TABLE box_label_history (
          id           INTEGER PRIMARY KEY,
          batch_id     INTEGER NOT NULL REFERENCES label_batches(id) ON DELETE CASCADE,
          detection_id INTEGER NOT NULL,
          old_class_id INTEGER,
          new_class_id INTEGER,
          old_status   TEXT NOT NULL,
          new_status   TEXT NOT NULL,
          at           TEXT NOT NULL
        ) STRICT;
        CREATE INDEX box_label_history_batch ON box_label_history(batch_id);
      `);
  },
};
