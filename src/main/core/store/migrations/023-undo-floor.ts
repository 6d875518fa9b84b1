import type { Migration } from './migration';

export const step: Migration = {
  version: 23,
  description: 'undo stops at the last step an earlier version wrote',
  up(db) {
    // Undo now stops at a class deleted or merged (labels/label-table.ts, undo_floor_batch).
    // Earlier versions kept undoing past one, and a deleted class's id can be reused: a step
    // named "Label 2 images as blob" could redo into the class made after it. Whether such a
    // class went is not recorded, so every step written before this version ends the chain.
    db.exec(`INSERT INTO meta (key, value)
             SELECT 'undo_floor_batch', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM label_batches
             WHERE true
             ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  },
};
