import type { Migration } from './migration';

export const step: Migration = {
  version: 22,
  description: "box label history keeps a classifier's confidence, so undo gives it back",
  up(db) {
    // The classifier's confidence the box had before the batch (detections.class_conf); NULL
    // for a person's class, no class, and every row written before this step (which undo as
    // they did: the class back without a confidence).
    db.exec('ALTER TABLE box_label_history ADD COLUMN old_class_conf REAL');
  },
};
