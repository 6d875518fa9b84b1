import type { TrainConfig } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import { readEmbedding, runEmbedding, type EmbedModel } from '../ml/embedder';
import { collectBoxTrainingSet } from './box-dataset';
import type { LabelledImage, TrainingSet } from './dataset';
import { featureViews, viewModel } from './feature-views';
import type { TrainDeps } from './trainer';

/** What a feature run learns from: its items, the models their vectors come from, those embedded. */
export interface Items {
  set: TrainingSet;
  models: EmbedModel[];
  usable: LabelledImage[];
}

/**
 * The labelled boxes of a box run, their crops embedded (cached per content, box and base),
 * then each augmented view of the crops as an image run does for its images: the view's
 * augmentation applied to the crop's pixels, cut by the shared crop rule.
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
  const keys = new Set(usable.map((u) => u.hash));
  const readable = crops.filter((c) => keys.has(c.key));
  const views = featureViews(config);
  const models = [deps.model];
  for (let v = 1; v < views; v++) {
    const m = viewModel(deps.model, config, v);
    ctx.phase(`Embedding augmented view ${v + 1} of ${views} of the labelled boxes`, keys.size);
    await runEmbedding(ctx, { ...deps.embed, db: deps.db, model: m, crops: readable });
    ctx.throwIfCancelled();
    models.push(m);
  }
  return { set, models, usable };
}
