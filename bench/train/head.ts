/** Training benchmark, part 1: head training on synthetic embeddings. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_HEAD, trainHead } from '../../src/main/core/train/head-trainer';
import { seededRandom } from '../../src/main/core/util/rng';
import { log, median } from '../lib/measure';
import { DIM, CLASSES, type options } from './options';

export function synthetic(n: number, seed: number): { x: Float32Array; y: Int32Array } {
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
export async function plainHeadFit(
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  epochs: number,
  classes: number,
) {
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

export async function headPart(opts: ReturnType<typeof options>) {
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
