import type Database from 'better-sqlite3';

/** One forward step of the schema; `version` is the `user_version` after it ran. */
export interface Migration {
  version: number;
  description: string;
  /**
   * The step drops and recreates a table others reference: it runs with foreign keys off (so
   * the drop cascades into nothing), and every reference is checked before it commits.
   */
  rebuildsTables?: boolean;
  up(db: Database.Database): void;
}
