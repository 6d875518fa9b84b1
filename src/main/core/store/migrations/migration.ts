import type Database from 'better-sqlite3';

/** One forward step of the schema; `version` is the `user_version` after it ran. */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}
