import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  model as functionalModel,
  type LayersModel,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import type { AugmentationConfig } from '../../../../shared/types';
import type { JobContext } from '../../jobs/job-registry';
import type { PreprocessingSpec } from '../../ml/zoo-types';
import { seededRandom } from '../../util/rng';
import { type ActivationCache } from './activation-cache';
import { loadAugmentedInput, viewParams } from './augment';
import type { BatchSource } from './finetune-loop';

/** An image to feed the base: content hash, the original file and its model-input cache file. */
export interface SourceImage {
  hash: string;
  file: string;
  /** Which frame of a multi-frame file; default 0. */
  frame?: number;
  cache?: string | null;
}

export interface ActivationJob {
  base: LayersModel;
  cutLayer: string;
  spec: PreprocessingSpec;
  augmentation: AugmentationConfig;
  seed: number;
  cache: ActivationCache;
  batchSize?: number;
}

/**
 * Runs the base up to the cut for every (image, view) not in the cache yet, a batch at a
 * time, appending each batch to the cache as it lands (a cancel or crash keeps what is
 * done). Returns the hashes whose image could not be read.
 */
export async function cacheActivations(
  ctx: JobContext,
  job: ActivationJob,
  wanted: readonly { image: SourceImage; view: number }[],
): Promise<Set<string>> {
  const todo = wanted.filter((w) => !job.cache.has(w.image.hash, w.view));
  const failed = new Set<string>();
  if (todo.length === 0) return failed;
  const cut = functionalModel({
    inputs: job.base.inputs,
    outputs: job.base.getLayer(job.cutLayer).output as SymbolicTensor,
  });
  const [h, w] = job.spec.inputSize;
  const size = h * w * 3;
  const batchSize = job.batchSize ?? 8;
  let done = 0;
  for (let s = 0; s < todo.length; s += batchSize) {
    ctx.throwIfCancelled();
    const batch = todo.slice(s, s + batchSize).filter((t) => !failed.has(t.image.hash));
    const inputs = await Promise.all(
      batch.map((t) =>
        loadAugmentedInput(
          { original: t.image.file, frame: t.image.frame, cache: t.image.cache },
          job.spec,
          viewParams(job.augmentation, t.image.hash, t.view, job.seed),
        ).catch(() => null),
      ),
    );
    const ok = batch.filter((t, i) => {
      if (inputs[i]) return true;
      failed.add(t.image.hash);
      return false;
    });
    if (ok.length > 0) {
      const x = new Float32Array(ok.length * size);
      let k = 0;
      for (const input of inputs) if (input) x.set(input, k++ * size);
      const out = tf.tidy(() => {
        const t = cut.predict(tf.tensor4d(x, [ok.length, h, w, 3])) as tf.Tensor;
        return t.dataSync() as Float32Array;
      });
      const per = out.length / ok.length;
      ok.forEach((t, i) =>
        job.cache.write(t.image.hash, t.view, out.subarray(i * per, (i + 1) * per)),
      );
    }
    done += batch.length;
    ctx.progress(done);
    await new Promise((r) => setImmediate(r));
  }
  return failed;
}

/**
 * Batches of cached activations: each training item takes one of its `views` at random
 * per epoch (seeded), validation items their plain view; only the batch is in memory.
 */
export function cachedSource(
  cache: ActivationCache,
  train: readonly string[],
  validation: readonly string[],
  views: number,
  seed: number,
): BatchSource {
  const shape = cache.shape as [number, number, number];
  const load = (items: { hash: string; view: number }[]) => {
    const data = cache.read(items);
    if (!data) throw new Error('An activation is missing from the cache');
    return tf.tensor4d(data, [items.length, ...shape]);
  };
  return {
    train: async (indices, epoch) => {
      const r = seededRandom(seed * 7919 + epoch);
      return load(indices.map((i) => ({ hash: train[i] ?? '', view: Math.floor(r() * views) })));
    },
    validation: async (indices) =>
      load(indices.map((i) => ({ hash: validation[i] ?? '', view: 0 }))),
  };
}

/**
 * Batches of images for the full-network path: a fresh augmented view of each training
 * image every epoch (decoded now, never cached), plain views for validation.
 */
export function imageSource(
  spec: PreprocessingSpec,
  augmentation: AugmentationConfig,
  train: readonly SourceImage[],
  validation: readonly SourceImage[],
  seed: number,
): BatchSource {
  const [h, w] = spec.inputSize;
  const load = async (items: { image: SourceImage | undefined; view: number }[]) => {
    const inputs = await Promise.all(
      items.map((it) =>
        it.image
          ? loadAugmentedInput(
              { original: it.image.file, frame: it.image.frame, cache: it.image.cache },
              spec,
              viewParams(augmentation, it.image.hash, it.view, seed),
            )
          : new Float32Array(h * w * 3),
      ),
    );
    const x = new Float32Array(items.length * h * w * 3);
    inputs.forEach((v, i) => x.set(v, i * h * w * 3));
    return tf.tensor4d(x, [items.length, h, w, 3]);
  };
  return {
    train: (indices, epoch) => load(indices.map((i) => ({ image: train[i], view: epoch }))),
    validation: (indices) => load(indices.map((i) => ({ image: validation[i], view: 0 }))),
  };
}

/** The folder of activation caches inside a project's cache folder. */
export function activationDir(cacheDir: string): string {
  return path.join(cacheDir, 'activations');
}
