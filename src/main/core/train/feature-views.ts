import type { TrainConfig } from '../../../shared/types';
import type { EmbedModel } from '../ml/embedder';
import { augmentationKey, viewParams } from './finetune/augment';

/** Augmented views per training item that a config asks for (1 when augmentation is off). */
export function featureViews(config: TrainConfig): number {
  const a = config.augmentation;
  const any = a.flip || a.crop < 1 || a.rotation > 0 || a.colour > 0;
  return any ? Math.max(1, config.viewsPerImage) : 1;
}

/**
 * The base model seen through augmented view `view` (≥ 1) of every item, for embedding: the
 * view is drawn from the item's cache key (an image's content hash, or a crop's key, so each
 * box of an image gets its own view).
 */
export function viewModel(model: EmbedModel, config: TrainConfig, view: number): EmbedModel {
  return {
    ...model,
    view: {
      key: `${augmentationKey(config.augmentation, config.seed)}:v${view}`,
      params: (hash) => viewParams(config.augmentation, hash, view, config.seed),
    },
  };
}
