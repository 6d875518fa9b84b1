import type Database from 'better-sqlite3';
import type { TrainProgress } from '../../../shared/types';
import type { EmbedModel, EmbedRunOptions } from '../ml/embedder';
import type { RunStore } from './run-store';

/** What a training run reads, embeds with and reports to. */
export interface TrainDeps {
  db: Database.Database;
  runs: RunStore;
  model: EmbedModel;
  /** How to compute missing embeddings first. */
  embed: Omit<EmbedRunOptions, 'model' | 'db'>;
  onProgress: (p: TrainProgress) => void;
}
