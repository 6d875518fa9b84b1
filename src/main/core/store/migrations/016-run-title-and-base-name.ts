import type { Migration } from './migration';

export const step: Migration = {
  version: 16,
  description: 'a title people give a training run, and the name of its base model',
  up(db) {
    db.exec(`
        -- The base's name as it was when the run trained (an imported model's id says nothing).
        ALTER TABLE runs ADD COLUMN title TEXT;
        ALTER TABLE runs ADD COLUMN base_name TEXT;
      `);
  },
};
