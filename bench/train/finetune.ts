/** Training benchmark, part 2: fine-tuning and feature mode on generated photos. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import type { JobContext } from '../../src/main/core/jobs/job-registry';
import { diskModelHandler } from '../../src/main/core/ml/model-io';
import { preprocessingKey } from '../../src/main/core/ml/preprocess';
import { defaultPreprocessing } from '../../src/main/core/ml/zoo';
import { ActivationCache } from '../../src/main/core/train/finetune/activation-cache';
import { NO_AUGMENTATION } from '../../src/main/core/train/finetune/augment';
import {
  cacheActivations,
  cachedSource,
} from '../../src/main/core/train/finetune/cached-activations';
import { trainFinetune } from '../../src/main/core/train/finetune/finetune-loop';
import { buildTopNet, planCut } from '../../src/main/core/train/finetune/top-net';
import { DEFAULT_HEAD, trainHead } from '../../src/main/core/train/head-trainer';
import { seededRandom } from '../../src/main/core/util/rng';
import { writeNsfwModel } from '../../tests/helpers/nsfw-models';
import { log, median, timed } from '../lib/measure';
import { DIM, type options } from './options';

/** Photos whose class is a colour + stripe direction, with noise; written once. */
export async function photos(
  dir: string,
  n: number,
  classes: number,
): Promise<{ file: string; hash: string; label: number }[]> {
  fs.mkdirSync(dir, { recursive: true });
  const out: { file: string; hash: string; label: number }[] = [];
  const r = seededRandom(7);
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    const file = path.join(dir, `${i}.jpg`);
    if (!fs.existsSync(file)) {
      const px = Buffer.alloc(224 * 224 * 3);
      for (let p = 0; p < 224 * 224; p++) {
        const row = Math.floor(p / 224);
        const col = p % 224;
        const stripe = (label % 2 ? row : col) % 16 < 8 ? 60 : 0;
        for (let c = 0; c < 3; c++) {
          px[p * 3 + c] = Math.min(255, (c === label % 3 ? 150 : 40) + stripe + r() * 50);
        }
      }
      await sharp(px, { raw: { width: 224, height: 224, channels: 3 } })
        .jpeg()
        .toFile(file);
    }
    out.push({ file, hash: `bench${String(i).padStart(59, '0')}`, label });
  }
  return out;
}

export const quietJob = (): JobContext => ({
  signal: new AbortController().signal,
  progress: () => undefined,
  phase: () => undefined,
  throwIfCancelled: () => undefined,
});

export async function finetunePart(opts: ReturnType<typeof options>) {
  const classes = 5;
  const modelJson = await writeNsfwModel(path.join(opts.data, 'mobilenet_v2'));
  const spec = defaultPreprocessing(modelJson);
  const images = await photos(path.join(opts.data, 'photos'), opts.images, classes);
  const base = await tfl.loadLayersModel(diskModelHandler(modelJson));
  const featureLayer = 'average_pooling2d_1';
  const plan = planCut(base, featureLayer, 4, opts.backend);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-act-'));
  const cache = ActivationCache.open(
    cacheDir,
    `bench|${preprocessingKey(spec)}|${plan.cutLayer}`,
    plan.cutShape,
  );
  const nVal = Math.round(images.length / 5);
  const train = images.slice(nVal);
  const val = images.slice(0, nVal);
  log(
    `fine-tune: caching activations at ${plan.cutLayer} for ${images.length} images × ${opts.views} views`,
  );
  const wanted = [
    ...images.map((im) => ({ image: im, view: 0 })),
    ...train.flatMap((im) =>
      Array.from({ length: opts.views - 1 }, (_, v) => ({ image: im, view: v + 1 })),
    ),
  ];
  const caching = await timed(() =>
    cacheActivations(
      quietJob(),
      {
        base,
        cutLayer: plan.cutLayer,
        spec,
        augmentation: { ...NO_AUGMENTATION, flip: true, crop: 0.85, colour: 0.15 },
        seed: 1,
        cache,
      },
      wanted,
    ),
  );
  const net = buildTopNet(base, plan, featureLayer);
  const source = cachedSource(
    cache,
    train.map((t) => t.hash),
    val.map((t) => t.hash),
    opts.views,
    1,
  );
  const labels = (xs: typeof images) => Int32Array.from(xs, (x) => x.label);
  log(
    `fine-tune: ${opts.ftEpochs} epochs of ${plan.trainable.join(' + ')} + head on ${train.length} images`,
  );
  const tuned = await trainFinetune(
    net,
    source,
    { featureDim: DIM, classes, yTrain: labels(train), yVal: labels(val) },
    {
      ...DEFAULT_HEAD,
      epochs: opts.ftEpochs,
      patience: 0,
      warmupEpochs: 0,
      baseLearningRateFactor: 0.1,
    },
  );
  const ftEpoch = median(tuned.history.map((h) => h.seconds));
  // Feature mode on the same images: embeddings from the (untuned) base, then the head.
  const fresh = buildTopNet(base, plan, featureLayer);
  const embed = async (xs: typeof images) => {
    const out = new Float32Array(xs.length * DIM);
    for (let s = 0; s < xs.length; s += 32) {
      const part = xs.slice(s, s + 32);
      const data = cache.read(part.map((p) => ({ hash: p.hash, view: 0 })));
      if (!data) throw new Error('missing activation');
      const f = tf.tidy(
        () =>
          fresh
            .forward(
              tf.tensor4d(data, [part.length, ...(plan.cutShape as [number, number, number])]),
            )
            .dataSync() as Float32Array,
      );
      out.set(f, s * DIM);
    }
    return out;
  };
  const head = await trainHead(
    {
      dim: DIM,
      classes,
      xTrain: await embed(train),
      yTrain: labels(train),
      xVal: await embed(val),
      yVal: labels(val),
    },
    { ...DEFAULT_HEAD, epochs: 4, patience: 0 },
  );
  const headEpoch = median(head.history.slice(1).map((h) => h.seconds));
  fresh.dispose();
  net.dispose();
  cache.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });

  log(
    `plain recipe: frozen base + dense head, model.fit on ${train.length} decoded images, ${opts.refEpochs} epochs`,
  );
  log(`tensors before: ${tf.memory().numTensors}, ${(tf.memory().numBytes / 1e6).toFixed(0)} MB`);
  // The Keras recipe: base layers frozen, a dense head on the pooled features.
  for (const l of base.layers) l.trainable = false;
  let top = base.getLayer(featureLayer).output as tfl.SymbolicTensor;
  top = tfl.layers.flatten().apply(top) as tfl.SymbolicTensor;
  top = tfl.layers.dense({ units: 256, activation: 'relu' }).apply(top) as tfl.SymbolicTensor;
  top = tfl.layers.dropout({ rate: 0.2 }).apply(top) as tfl.SymbolicTensor;
  top = tfl.layers
    .dense({ units: classes, activation: 'softmax' })
    .apply(top) as tfl.SymbolicTensor;
  const plainModel = tfl.model({ inputs: base.inputs, outputs: top });
  plainModel.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const { loadModelInput } = await import('../../src/main/core/ml/preprocess');
  const [h, w] = spec.inputSize;
  const pixels = new Float32Array(train.length * h * w * 3);
  for (const [i, im] of train.entries())
    pixels.set(await loadModelInput(im.file, spec), i * h * w * 3);
  const x = tf.tensor4d(pixels, [train.length, h, w, 3]);
  const y = tf.oneHot(tf.tensor1d(labels(train), 'int32'), classes);
  const seconds: number[] = [];
  let started = performance.now();
  await plainModel.fit(x, y, {
    // Batch 8: model.fit keeps every activation of the base on the tape, and at 32
    // MobileNetV2 images that overruns the wasm heap.
    batchSize: 8,
    epochs: opts.refEpochs,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => {
        started = performance.now();
      },
      onEpochEnd: async () => {
        seconds.push((performance.now() - started) / 1000);
      },
    },
  });
  tf.dispose([x, y]);
  base.dispose();
  const plainEpoch = median(seconds.slice(seconds.length > 1 ? 1 : 0));
  return {
    images: images.length,
    trainImages: train.length,
    views: opts.views,
    cutLayer: plan.cutLayer,
    trained: plan.trainable,
    cachingSeconds: caching.seconds,
    cachedViews: wanted.length,
    finetuneEpochSeconds: ftEpoch,
    finetuneValAccuracy: tuned.history[tuned.history.length - 1]?.valAccuracy ?? NaN,
    featureEpochSeconds: headEpoch,
    plainEpochSeconds: plainEpoch,
  };
}
