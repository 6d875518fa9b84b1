/**
 * The native-backend rows of `npm run bench:train` (run after the wasm rows, in the same
 * process and on the same images): full-network fine-tuning on @tensorflow/tfjs-node, the
 * plain recipe (frozen base + head, model.fit) on the same backend, and MobileNetV2
 * inference on native TensorFlow against ONNX Runtime on the same pre-decoded tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { diskModelHandler } from '../src/main/core/ml/model-io';
import { loadFeatureModel } from '../src/main/core/ml/feature-model';
import { convertFeatureModel, ONNX_INPUT } from '../src/main/core/ml/onnx/convert-layers';
import { createSession, loadOrt } from '../src/main/core/ml/onnx/onnx-engine';
import { loadModelInput } from '../src/main/core/ml/preprocess';
import { initBackend } from '../src/main/core/ml/tf-runtime';
import type { PreprocessingSpec } from '../src/main/core/ml/zoo-types';
import { imageSource, type SourceImage } from '../src/main/core/train/finetune/cached-activations';
import { trainFinetune } from '../src/main/core/train/finetune/finetune-loop';
import { buildFullNet } from '../src/main/core/train/finetune/full-net';
import { DEFAULT_HEAD } from '../src/main/core/train/head-trainer';
import { log, median, table } from './lib/measure';

export interface NativeRows {
  /** One row per number of unfrozen layers. */
  finetune: {
    unfreeze: number;
    trainable: number;
    microBatch: number;
    epochSeconds: number;
    valAccuracy: number;
    /** Process RSS when the row started (earlier rows included) and its peak during the row. */
    startRssMb: number;
    peakRssMb: number;
    /** Largest bytes held in TF.js tensors after a batch (flat when memory is bounded). */
    peakTensorMb: number;
  }[];
  plainEpochSeconds: number;
  inference: { tensorflow: number; onnx: number; batch: number; images: number };
}

type Labelled = SourceImage & { label: number };

/** Null when the native backend does not load here (with the reason logged). */
export async function nativePart(
  modelJson: string,
  spec: PreprocessingSpec,
  train: Labelled[],
  val: Labelled[],
  classes: number,
  opts: { epochs: number; refEpochs: number; unfreeze: number[] },
): Promise<NativeRows | null> {
  try {
    await initBackend('tensorflow');
  } catch (err) {
    log(`native rows skipped: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
  const finetune: NativeRows['finetune'] = [];
  for (const unfreeze of opts.unfreeze) {
    finetune.push(await fullFinetune(modelJson, spec, train, val, classes, unfreeze, opts.epochs));
  }
  const plainEpochSeconds = await plainRecipe(modelJson, spec, train, classes, opts.refEpochs);
  const inference = await inferenceRates(modelJson, spec, [...train, ...val]);
  return { finetune, plainEpochSeconds, inference };
}

async function fullFinetune(
  modelJson: string,
  spec: PreprocessingSpec,
  train: Labelled[],
  val: Labelled[],
  classes: number,
  unfreeze: number,
  epochs: number,
): Promise<NativeRows['finetune'][number]> {
  const base = await tfl.loadLayersModel(diskModelHandler(modelJson));
  const net = buildFullNet(base, 'average_pooling2d_1', unfreeze);
  log(
    `native full fine-tune: ${net.trainable.length} layers trainable, micro-batch ${net.microBatch}, ${epochs} epochs on ${train.length} images`,
  );
  const source = imageSource(
    spec,
    { flip: true, crop: 0.85, rotation: 0, colour: 0.15 },
    train,
    val,
    1,
  );
  const start = process.memoryUsage.rss();
  let peak = start;
  let tensors = 0;
  const result = await trainFinetune(
    net,
    source,
    {
      featureDim: 1280,
      classes,
      yTrain: Int32Array.from(train, (t) => t.label),
      yVal: Int32Array.from(val, (t) => t.label),
    },
    { ...DEFAULT_HEAD, epochs, patience: 0, warmupEpochs: 0, baseLearningRateFactor: 0.1 },
    {
      onBatch: () => {
        peak = Math.max(peak, process.memoryUsage.rss());
        tensors = Math.max(tensors, tf.memory().numBytes);
      },
    },
  );
  net.dispose();
  return {
    unfreeze,
    trainable: net.trainable.length,
    microBatch: net.microBatch,
    // The first epoch includes TensorFlow's kernel set-up; later ones are the steady rate.
    epochSeconds: median(result.history.slice(epochs > 1 ? 1 : 0).map((h) => h.seconds)),
    valAccuracy: result.history[result.history.length - 1]?.valAccuracy ?? NaN,
    startRssMb: start / 1e6,
    peakRssMb: peak / 1e6,
    peakTensorMb: tensors / 1e6,
  };
}

/** The Keras recipe on the native backend: frozen base + dense head, model.fit, batch 16. */
async function plainRecipe(
  modelJson: string,
  spec: PreprocessingSpec,
  train: Labelled[],
  classes: number,
  epochs: number,
): Promise<number> {
  const base = await tfl.loadLayersModel(diskModelHandler(modelJson));
  for (const l of base.layers) l.trainable = false;
  let top = base.getLayer('average_pooling2d_1').output as tfl.SymbolicTensor;
  top = tfl.layers.flatten().apply(top) as tfl.SymbolicTensor;
  top = tfl.layers.dense({ units: 256, activation: 'relu' }).apply(top) as tfl.SymbolicTensor;
  top = tfl.layers.dropout({ rate: 0.2 }).apply(top) as tfl.SymbolicTensor;
  top = tfl.layers
    .dense({ units: classes, activation: 'softmax' })
    .apply(top) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: base.inputs, outputs: top });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const [h, w] = spec.inputSize;
  const pixels = new Float32Array(train.length * h * w * 3);
  for (const [i, im] of train.entries()) {
    pixels.set(await loadModelInput(im.file, spec), i * h * w * 3);
  }
  const x = tf.tensor4d(pixels, [train.length, h, w, 3]);
  const y = tf.oneHot(
    tf.tensor1d(
      Int32Array.from(train, (t) => t.label),
      'int32',
    ),
    classes,
  );
  const seconds: number[] = [];
  let started = performance.now();
  log(`native plain recipe: model.fit, ${epochs} epochs`);
  await model.fit(x, y, {
    batchSize: 16,
    epochs,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => void (started = performance.now()),
      onEpochEnd: async () => void seconds.push((performance.now() - started) / 1000),
    },
  });
  tf.dispose([x, y]);
  base.dispose();
  return median(seconds.slice(seconds.length > 1 ? 1 : 0));
}

/** MobileNetV2 embeddings on the same decoded tensors: native TensorFlow against ONNX Runtime. */
async function inferenceRates(
  modelJson: string,
  spec: PreprocessingSpec,
  images: Labelled[],
): Promise<NativeRows['inference']> {
  const batch = 32;
  const [h, w] = spec.inputSize;
  const per = h * w * 3;
  const n = Math.min(images.length, 128);
  const all = new Float32Array(n * per);
  for (let i = 0; i < n; i++) all.set(await loadModelInput(images[i]?.file ?? '', spec), i * per);
  const features = await loadFeatureModel(modelJson, 'auto');
  const runTf = (from: number, to: number) =>
    tf.tidy(() =>
      features
        .embed(tf.tensor4d(all.subarray(from * per, to * per), [to - from, h, w, 3]))
        .dataSync(),
    );
  runTf(0, Math.min(batch, n)); // warm-up
  let t0 = performance.now();
  for (let i = 0; i < n; i += batch) runTf(i, Math.min(i + batch, n));
  const tensorflow = n / ((performance.now() - t0) / 1000);
  features.dispose();
  const layers = await tfl.loadLayersModel(diskModelHandler(modelJson));
  const bytes = convertFeatureModel(layers, 'auto').bytes;
  layers.dispose();
  const ort = await loadOrt();
  const session = await createSession(bytes);
  const runOrt = (from: number, to: number) =>
    session.run({
      [ONNX_INPUT]: new ort.Tensor('float32', all.subarray(from * per, to * per), [
        to - from,
        h,
        w,
        3,
      ]),
    });
  await runOrt(0, Math.min(batch, n));
  t0 = performance.now();
  for (let i = 0; i < n; i += batch) await runOrt(i, Math.min(i + batch, n));
  const onnx = n / ((performance.now() - t0) / 1000);
  await session.release();
  log(`inference: native TensorFlow ${tensorflow.toFixed(1)}/s, ONNX Runtime ${onnx.toFixed(1)}/s`);
  return { tensorflow, onnx, batch, images: n };
}

/** The native rows as a table, beside the cached path's row of the same run. */
export function nativeTable(
  n: NativeRows,
  ft: { trainImages: number; finetuneEpochSeconds: number; cachingSeconds: number },
  backend: string,
  f: (s: number) => string,
  ips: (n: number, s: number) => string,
): string {
  const rows = n.finetune.map((r) => [
    `native full fine-tune, ${r.trainable} layers trainable`,
    f(r.epochSeconds),
    ips(ft.trainImages, r.epochSeconds),
    `micro-batch ${r.microBatch}, RSS ${r.startRssMb.toFixed(0)} → peak ${r.peakRssMb.toFixed(0)} MB, tensors ≤ ${r.peakTensorMb.toFixed(0)} MB, val acc ${(r.valAccuracy * 100).toFixed(0)} %`,
  ]);
  return (
    `\nNative TensorFlow (tfjs-node) on the same ${ft.trainImages} training images\n` +
    table([
      ['what', 's/epoch', 'images/s', 'note'],
      ...rows,
      [
        `cached-activation fine-tune (${backend}, above)`,
        f(ft.finetuneEpochSeconds),
        ips(ft.trainImages, ft.finetuneEpochSeconds),
        `+ ${f(ft.cachingSeconds)} once for the cache`,
      ],
      [
        'native plain recipe (frozen base + head, model.fit, batch 16)',
        f(n.plainEpochSeconds),
        ips(ft.trainImages, n.plainEpochSeconds),
        're-runs the base every epoch',
      ],
    ]) +
    `\n\nMobileNetV2 inference, ${n.inference.images} pre-decoded images, batch ${n.inference.batch}: ` +
    `native TensorFlow ${n.inference.tensorflow.toFixed(1)}/s, ONNX Runtime ${n.inference.onnx.toFixed(1)}/s ` +
    `(${(n.inference.onnx / n.inference.tensorflow).toFixed(1)}×)\n`
  );
}
