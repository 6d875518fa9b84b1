import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { TrainConfig } from '../../../../shared/types';
import type { JobContext } from '../../jobs/job-registry';
import type { PreprocessingSpec } from '../../ml/zoo-types';
import type { HeadWeights } from '../../model/head';
import type { ActivationCache } from './activation-cache';
import { cachedSource, imageSource, type SourceImage } from './cached-activations';
import { trainFinetune } from './finetune-loop';
import { applyLayerWeights, type FullNet } from './full-net';
import { buildTopNet, type CutPlan, type TopWeights } from './top-net';
import { warmUpHead } from './warm-up';

/** Every labelled image of a run with its label, and the epochs chosen on validation. */
export interface RefitSet {
  images: SourceImage[];
  labels: Int32Array;
  featureDim: number;
  classes: number;
  /** Tuning epochs (the run's best epoch). */
  epochs: number;
}

export interface Released {
  head: HeadWeights;
  top: TopWeights;
}

const NONE = new Int32Array(0);

/** Cached path: a fresh top trained again from the cache on every label for the chosen epochs. */
export async function refitCached(
  ctx: JobContext,
  part: { base: LayersModel; cut: CutPlan; featureLayer: string; cache: ActivationCache },
  all: RefitSet,
  config: TrainConfig,
): Promise<Released> {
  const fresh = buildTopNet(part.base, part.cut, part.featureLayer);
  try {
    const hashes = all.images.map((im) => im.hash);
    const r = await trainFinetune(
      fresh,
      cachedSource(part.cache, hashes, [], config.viewsPerImage, config.seed),
      { featureDim: all.featureDim, classes: all.classes, yTrain: all.labels, yVal: NONE },
      { ...config, epochs: all.epochs, patience: 0, fixedEpochs: true },
      { shouldStop: () => ctx.signal.aborted },
    );
    ctx.throwIfCancelled();
    return { head: r.head, top: r.top };
  } finally {
    fresh.dispose();
  }
}

/**
 * Full-network path: the tuned layers are put back to the base's own weights, the head warms
 * up again on every label for as many epochs as the first warm-up took (none when the run had
 * none), then the network tunes on every label, freshly augmented each step, for the chosen
 * epochs. The same net is reused, so no second copy of the base is held.
 */
export async function refitFull(
  ctx: JobContext,
  part: { base: LayersModel; net: FullNet; initial: TopWeights; spec: PreprocessingSpec },
  all: RefitSet,
  config: TrainConfig,
  warmEpochs: number,
): Promise<Released> {
  applyLayerWeights(part.base, part.initial);
  const warm =
    warmEpochs > 0
      ? await warmUpHead(
          ctx,
          part.net,
          part.spec,
          { train: all.images, yTrain: all.labels, val: [], yVal: NONE },
          all.featureDim,
          all.classes,
          { ...config, epochs: warmEpochs },
        )
      : null;
  const r = await trainFinetune(
    part.net,
    imageSource(part.spec, config.augmentation, all.images, [], config.seed),
    {
      featureDim: all.featureDim,
      classes: all.classes,
      yTrain: all.labels,
      yVal: NONE,
      head: warm?.weights,
    },
    {
      ...config,
      epochs: all.epochs,
      patience: 0,
      fixedEpochs: true,
      ...(warm ? { warmupEpochs: 0 } : {}),
    },
    { shouldStop: () => ctx.signal.aborted },
  );
  ctx.throwIfCancelled();
  return { head: r.head, top: r.top };
}
