import type { TrainConfig } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import { readEmbedding, runEmbedding, type EmbedModel } from '../ml/embedder';
import { collectBoxTrainingSet } from './box-dataset';
import type { LabelledImage, TrainingSet } from './dataset';
import type { TrainDeps } from './trainer';

/** What a feature run learns from: its items, the models their vectors come from, those embedded. */
export interface Items {
  set: TrainingSet;
  models: EmbedModel[];
  usable: LabelledImage[];
}

/**
 * The labelled boxes of a box run, their crops embedded (cached per content, box and base).
 * Crops have no augmented views yet: one plain view per box, whatever viewsPerImage says.
 */
export async function boxItems(
  ctx: JobContext,
  deps: TrainDeps,
  config: TrainConfig,
): Promise<Items> {
  const { set, crops } = collectBoxTrainingSet(deps.db, config.groupBy, deps.embed.rootPath);
  ctx.phase('Embedding the crops of the labelled boxes', crops.length);
  await runEmbedding(ctx, { ...deps.embed, db: deps.db, model: deps.model, crops });
  ctx.throwIfCancelled();
  const usable = set.images.filter((b) => readEmbedding(deps.db, deps.model, b.hash) !== null);
  return { set, models: [deps.model], usable };
}
