/**
 * Training benchmark, in one run on one backend:
 *
 * 1. Head training on synthetic embeddings (1280-d, 10 classes) at each --sizes: Ocellus's
 *    head trainer against the plain Keras-style reference (tf.sequential Dense head,
 *    model.fit, batch 32), seconds per epoch.
 * 2. On --images generated photos with the real Keras MobileNetV2 (from nsfwjs): Ocellus's
 *    fine-tune (activations cached once at block 16's input, then block 16 + Conv_1 + head
 *    trained from the cache), its feature mode (head on embeddings), and the plain recipe
 *    (tf.sequential of the frozen base + dense head, model.fit on decoded image tensors
 *    each epoch), seconds per epoch and images/s.
 * 3. Where the native backend (@tensorflow/tfjs-node) loads, on the same images: full-network
 *    fine-tuning (augmented images streamed through the whole network, the top
 *    --native-unfreeze layers trainable), the plain recipe on native, and inference images/s of
 *    native TensorFlow against ONNX Runtime (see train-native.ts).
 *
 *   npm run bench:train -- [--sizes 2000,10000] [--epochs 4] [--ref-epochs 2] [--images 200]
 *                          [--ft-epochs 2] [--views 2] [--backend wasm] [--data DIR] [--json]
 *                          [--native-unfreeze 4,1000] [--native-epochs 2] [--no-native]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import type { JobContext } from '../src/main/core/jobs/job-registry';
import { diskModelHandler } from '../src/main/core/ml/model-io';
import { preprocessingKey } from '../src/main/core/ml/preprocess';
import { initBackend, isBackendName, type BackendName } from '../src/main/core/ml/tf-runtime';
import { defaultPreprocessing } from '../src/main/core/ml/zoo';
import { ActivationCache } from '../src/main/core/train/finetune/activation-cache';
import { NO_AUGMENTATION } from '../src/main/core/train/finetune/augment';
import { cacheActivations, cachedSource } from '../src/main/core/train/finetune/cached-activations';
import { trainFinetune } from '../src/main/core/train/finetune/finetune-loop';
import { buildTopNet, planCut } from '../src/main/core/train/finetune/top-net';
import { DEFAULT_HEAD, trainHead } from '../src/main/core/train/head-trainer';
import { seededRandom } from '../src/main/core/util/rng';
import { writeNsfwModel } from '../tests/helpers/nsfw-models';
import { log, median, table, timed } from './lib/measure';
import { nativePart, nativeTable, type NativeRows } from './train-native';

const DIM = 1280;
const CLASSES = 10;

function options() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '2000,10000' },
      epochs: { type: 'string', default: '4' },
      'ref-epochs': { type: 'string', default: '2' },
      images: { type: 'string', default: '200' },
      'ft-epochs': { type: 'string', default: '2' },
      views: { type: 'string', default: '2' },
      backend: { type: 'string', default: 'wasm' },
      data: { type: 'string', default: path.join(os.tmpdir(), 'ocellus-bench-train') },
      json: { type: 'boolean', default: false },
      'native-unfreeze': { type: 'string', default: '4,1000' },
      'native-epochs': { type: 'string', default: '2' },
      'no-native': { type: 'boolean', default: false },
    },
  });
  if (!isBackendName(values.backend)) throw new Error(`--backend: ${values.backend}`);
  const int = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${v}`);
    return n;
  };
  return {
    sizes: values.sizes.split(',').map(int),
    epochs: Math.max(2, int(values.epochs)),
    refEpochs: int(values['ref-epochs']),
    images: int(values.images),
    ftEpochs: int(values['ft-epochs']),
    views: int(values.views),
    backend: values.backend as BackendName,
    data: values.data,
    json: values.json,
    native: !values['no-native'],
    nativeUnfreeze: values['native-unfreeze'].split(',').map(int),
    nativeEpochs: int(values['native-epochs']),
  };
}

/** Embeddings with a learnable signal: each class lifts its own block of dimensions. */
function synthetic(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = seededRandom(seed);
  const x = new Float32Array(n * DIM);
  const y = Int32Array.from({ length: n }, (_, i) => i % CLASSES);
  for (let i = 0; i < n; i++) {
    const c = y[i] ?? 0;
    for (let d = 0; d < DIM; d++) {
      x[i * DIM + d] = (Math.floor(d / (DIM / CLASSES)) === c ? 0.8 : 0) + r();
    }
  }
  return { x, y };
}

/** The plain reference head: what a Keras user writes. Seconds of each epoch. */
async function plainHeadFit(x: tf.Tensor2D, y: tf.Tensor2D, epochs: number, classes: number) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [x.shape[1]], units: 256, activation: 'relu' }),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const seconds: number[] = [];
  let started = performance.now();
  await model.fit(x, y, {
    batchSize: 32,
    epochs,
    shuffle: true,
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
  model.dispose();
  return seconds;
}

async function headPart(opts: ReturnType<typeof options>) {
  const rows: { n: number; ocellus: number; plain: number }[] = [];
  for (const n of opts.sizes) {
    const train = synthetic(n, 1);
    const val = synthetic(Math.round(n / 5), 2);
    log(`head: ${n} embeddings, Ocellus ${opts.epochs} epochs`);
    const result = await trainHead(
      { dim: DIM, classes: CLASSES, xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y },
      { ...DEFAULT_HEAD, epochs: opts.epochs, patience: 0 },
    );
    const ocellus = median(result.history.slice(1).map((h) => h.seconds));
    log(`head: ${n} embeddings, plain model.fit ${opts.refEpochs} epochs`);
    const x = tf.tensor2d(train.x, [n, DIM]);
    const y = tf.oneHot(tf.tensor1d(train.y, 'int32'), CLASSES) as tf.Tensor2D;
    const plain = median(await plainHeadFit(x, y, opts.refEpochs, CLASSES));
    tf.dispose([x, y]);
    rows.push({ n, ocellus, plain });
  }
  return rows;
}

/** Photos whose class is a colour + stripe direction, with noise; written once. */
async function photos(
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

const quietJob = (): JobContext => ({
  signal: new AbortController().signal,
  progress: () => undefined,
  phase: () => undefined,
  throwIfCancelled: () => undefined,
});

async function finetunePart(opts: ReturnType<typeof options>) {
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
  const { loadModelInput } = await import('../src/main/core/ml/preprocess');
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

async function main(): Promise<void> {
  const opts = options();
  const backend = await initBackend(opts.backend);
  log(
    `backend ${backend}, ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const head = await headPart(opts);
  const ft = await finetunePart(opts);
  let native: NativeRows | null = null;
  if (opts.native) {
    const modelJson = await writeNsfwModel(path.join(opts.data, 'mobilenet_v2'));
    const images = await photos(path.join(opts.data, 'photos'), opts.images, 5);
    const nVal = Math.round(images.length / 5);
    native = await nativePart(
      modelJson,
      defaultPreprocessing(modelJson),
      images.slice(nVal),
      images.slice(0, nVal),
      5,
      { epochs: opts.nativeEpochs, refEpochs: opts.refEpochs, unfreeze: opts.nativeUnfreeze },
    );
  }
  const result = { backend, head, finetune: ft, native, loadAverage: os.loadavg() };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const f = (s: number) => `${s.toFixed(2)} s`;
  const ips = (n: number, s: number) => `${(n / s).toFixed(1)}/s`;
  process.stdout.write(
    `\nHead training on embeddings (${DIM}-d, ${CLASSES} classes, batch 32, ${backend})\n` +
      table([
        ['embeddings', 'Ocellus s/epoch', 'plain model.fit s/epoch', 'speed-up'],
        ...head.map((r) => [
          String(r.n),
          f(r.ocellus),
          f(r.plain),
          `${(r.plain / r.ocellus).toFixed(1)}×`,
        ]),
      ]) +
      `\n\nMobileNetV2 on ${ft.trainImages} training images (+${ft.images - ft.trainImages} validation), ${backend}\n` +
      table([
        ['what', 's/epoch', 'images/s', 'note'],
        [
          'Ocellus fine-tune, cached path',
          f(ft.finetuneEpochSeconds),
          ips(ft.trainImages, ft.finetuneEpochSeconds),
          `${ft.trained.join(', ')} + head; val acc ${(ft.finetuneValAccuracy * 100).toFixed(0)} %`,
        ],
        [
          '  one-off activation cache',
          f(ft.cachingSeconds),
          ips(ft.cachedViews, ft.cachingSeconds),
          `${ft.cachedViews} views at ${ft.cutLayer}`,
        ],
        [
          'Ocellus feature mode (head)',
          f(ft.featureEpochSeconds),
          ips(ft.trainImages, ft.featureEpochSeconds),
          'embeddings cached',
        ],
        [
          'plain recipe (frozen base + head, model.fit, batch 8)',
          f(ft.plainEpochSeconds),
          ips(ft.trainImages, ft.plainEpochSeconds),
          're-runs the base every epoch',
        ],
      ]) +
      `\n\nFeature mode vs plain recipe per epoch: ${(ft.plainEpochSeconds / ft.featureEpochSeconds).toFixed(0)}×; fine-tune vs plain: ${(ft.plainEpochSeconds / ft.finetuneEpochSeconds).toFixed(1)}×\n`,
  );
  if (native) process.stdout.write(nativeTable(native, ft, backend, f, ips));
  else if (opts.native)
    process.stdout.write('\nNative backend rows: skipped (see the log above)\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
