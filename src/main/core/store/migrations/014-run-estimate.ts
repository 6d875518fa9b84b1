import type { Migration } from './migration';

export const step: Migration = {
  version: 14,
  description:
    'runs: the estimate (validation figures, cross-validation, refit) and the head it was measured on',
  up(db) {
    db.exec(`
        ALTER TABLE runs ADD COLUMN estimate TEXT;
        ALTER TABLE runs ADD COLUMN estimate_head TEXT;
      `);
  },
};
