import type Database from 'better-sqlite3';
import type { EmbedRunOptions } from '../ml/embedder';
import type { RunStore } from '../train/run-store';

/** What a prediction job (image or box run) reads and embeds with. */
export interface PredictDeps {
  db: Database.Database;
  runs: RunStore;
  /** How to embed images that have no vector yet (model included). */
  embed: Omit<EmbedRunOptions, 'db'>;
}
