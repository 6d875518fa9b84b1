import type { TrainConfig } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import { readEmbedding, runEmbedding, type EmbedModel } from '../ml/embedder';
import { collectBoxTrainingSet } from './box-dataset';
import type { LabelledImage, TrainingSet } from './dataset';
import { featureViews, viewModel } from './feature-views';
import type { TrainDeps } from './train-deps';

/** What a feature run learns from: its items, the models their vectors come from, those embedded. */
export interface Items {
  set: TrainingSet;
  models: EmbedModel[];
  usable: LabelledImage[];
}

/**
 * The labelled boxes of a box run, their crops embedded (cached per content, box and base)
 * in every augmented view as an image run does for its images: the view's augmentation
 * applied to the crop's pixels, cut by the shared crop rule. All views go in one pass, so an
 * image is decoded once for all its boxes and views.
 */
export async function boxItems(
  ctx: JobContext,
  deps: TrainDeps,
  config: TrainConfig,
): Promise<Items> {
  const { set, crops } = collectBoxTrainingSet(deps.db, config.groupBy, deps.embed.rootPath);
  const views = featureViews(config);
  const cropViews = Array.from({ length: views - 1 }, (_, v) =>
    viewModel(deps.model, config, v + 1),
  );
  ctx.phase(
    views > 1
      ? `Embedding the crops of the labelled boxes in ${views} views`
      : 'Embedding the crops of the labelled boxes',
    crops.length * views,
  );
  await runEmbedding(ctx, { ...deps.embed, db: deps.db, model: deps.model, crops, cropViews });
  ctx.throwIfCancelled();
  const usable = set.images.filter((b) => readEmbedding(deps.db, deps.model, b.hash) !== null);
  return { set, models: [deps.model, ...cropViews], usable };
}
