import * as tf from '@tensorflow/tfjs-core';
import type { JobContext } from '../../jobs/job-registry';
import type { PreprocessingSpec } from '../../ml/zoo-types';
import { trainHead, type HeadConfig } from '../head-trainer';
import { type HeadWeights } from '../../model/head';
import { NO_AUGMENTATION } from './augment';
import { imageSource, type SourceImage } from './cached-activations';
import type { FeatureNet } from './finetune-loop';

/** Features of the plain images through the frozen net, one micro-batch at a time (no tape). */
async function features(
  ctx: JobContext,
  net: FeatureNet,
  spec: PreprocessingSpec,
  images: readonly SourceImage[],
  dim: number,
  done: { n: number },
): Promise<Float32Array> {
  const source = imageSource(spec, NO_AUGMENTATION, [], images, 0);
  const out = new Float32Array(images.length * dim);
  const step = net.microBatch ?? 8;
  for (let s = 0; s < images.length; s += step) {
    ctx.throwIfCancelled();
    const idx = Array.from({ length: Math.min(step, images.length - s) }, (_, i) => s + i);
    const x = await source.validation(idx);
    out.set(
      tf.tidy(() => net.forward(x).dataSync() as Float32Array),
      s * dim,
    );
    x.dispose();
    done.n += idx.length;
    ctx.progress(done.n);
  }
  return out;
}

/** A warmed-up head and the epochs it trained (what a refit repeats on every label). */
export interface WarmHead {
  weights: HeadWeights;
  epochs: number;
}

/**
 * The full-network path's warm-up: the head trains on the frozen network's features of the
 * plain images, computed in one pass, exactly as in feature mode (early stopping included),
 * instead of over whole-network passes that would each cost as much as a tuning epoch. The
 * tuning epochs then start from a head that already fits. Without validation images (a
 * refit) it trains the `cfg.epochs` asked for.
 */
export async function warmUpHead(
  ctx: JobContext,
  net: FeatureNet,
  spec: PreprocessingSpec,
  sets: { train: SourceImage[]; yTrain: Int32Array; val: SourceImage[]; yVal: Int32Array },
  dim: number,
  classes: number,
  cfg: HeadConfig,
): Promise<WarmHead> {
  const done = { n: 0 };
  const xTrain = await features(ctx, net, spec, sets.train, dim, done);
  const xVal = await features(ctx, net, spec, sets.val, dim, done);
  const fixed = sets.val.length === 0;
  const result = await trainHead(
    { dim, classes, xTrain, yTrain: sets.yTrain, xVal, yVal: sets.yVal },
    fixed
      ? { ...cfg, patience: 0, fixedEpochs: true }
      : { ...cfg, patience: cfg.patience > 0 ? cfg.patience : 5 },
    { shouldStop: () => ctx.signal.aborted },
  );
  ctx.throwIfCancelled();
  return { weights: result.weights, epochs: Math.max(1, result.bestEpoch) };
}
