import type { Migration } from './migration';

export const step: Migration = {
  version: 7,
  description: 'the labels each run learnt from',
  up(db) {
    db.exec(`
        -- JSON {"classIds": [...], "labels": [[imageId, classIndex], ...]}: what the run took
        -- as truth, so a label fixed since (and the run being stale) can be told.
        ALTER TABLE runs ADD COLUMN dataset_labels TEXT;
      `);
  },
};
