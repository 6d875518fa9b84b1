import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build registers no gradients; the umbrella package's build does, on the
// same (shared) tfjs-core instance.
import '@tensorflow/tfjs';
import { seededRandom, shuffled } from '../util/rng';
import type { HeadWeights } from '../model/head';

export interface HeadConfig {
  /** Units of the hidden Dense layer (ReLU). */
  hiddenUnits: number;
  dropout: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Stop after this many epochs without a better validation loss; 0 never stops early. */
  patience: number;
  seed: number;
  /** Weight classes inversely to their frequency, so rare classes count as much. */
  classWeighting: boolean;
  /** Epochs before patience starts counting (the loss is still settling). */
  warmupEpochs?: number;
  /** Train exactly `epochs` and keep the last weights: no early stopping, no choice by validation. */
  fixedEpochs?: boolean;
}

export const DEFAULT_HEAD: HeadConfig = {
  hiddenUnits: 256,
  dropout: 0.2,
  epochs: 30,
  batchSize: 32,
  learningRate: 1e-3,
  patience: 5,
  seed: 42,
  classWeighting: true,
};

export interface HeadData {
  dim: number;
  classes: number;
  xTrain: Float32Array;
  yTrain: Int32Array;
  xVal: Float32Array;
  yVal: Int32Array;
}

import type { EpochMetrics } from '../../../shared/types';

export type { EpochMetrics };

export interface HeadHooks {
  onBatch?: (epoch: number, batch: number, batches: number, loss: number, accuracy: number) => void;
  onEpoch?: (m: EpochMetrics) => void;
  shouldStop?: () => boolean;
}

export interface HeadResult {
  history: EpochMetrics[];
  bestEpoch: number;
  best: EpochMetrics | null;
  /** Weights of the best epoch (lowest validation loss). */
  weights: HeadWeights;
  stoppedEarly: boolean;
  cancelled: boolean;
}

/**
 * Trains the classifier head (Dense ReLU → dropout → Dense softmax, Adam, cross-entropy)
 * on cached embeddings with a hand-written loop: the seeded RNG drives initialisation,
 * shuffling and dropout, so the same data, seed and backend give the same metrics.
 */
// eslint-disable-next-line max-lines-per-function -- the seeded training loop keeps its RNG draws in one order (init, shuffle, dropout) so a seed repeats exactly; splitting it would spread that order.
export async function trainHead(
  data: HeadData,
  cfg: HeadConfig,
  hooks: HeadHooks = {},
): Promise<HeadResult> {
  const random = seededRandom(cfg.seed);
  const { dim, classes } = data;
  const nTrain = data.yTrain.length;
  const glorot = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: fanIn * fanOut }, () => (random() * 2 - 1) * limit);
  };
  // tf.variable shares its initial tensor's data without owning the tensor: tidy disposes it.
  const variable = (init: () => tf.Tensor) => tf.tidy(() => tf.variable(init()));
  const w1 = variable(() => tf.tensor2d(glorot(dim, cfg.hiddenUnits), [dim, cfg.hiddenUnits]));
  const b1 = variable(() => tf.zeros([cfg.hiddenUnits]));
  const w2 = variable(() =>
    tf.tensor2d(glorot(cfg.hiddenUnits, classes), [cfg.hiddenUnits, classes]),
  );
  const b2 = variable(() => tf.zeros([classes]));
  const optimizer = tf.train.adam(cfg.learningRate);
  const counts = new Array<number>(classes).fill(0);
  for (const y of data.yTrain) counts[y] = (counts[y] ?? 0) + 1;
  const weightsPerClass = counts.map((n) =>
    cfg.classWeighting && n > 0 ? nTrain / (classes * n) : 1,
  );
  const classWeight = tf.tensor1d(weightsPerClass);
  const xVal = tf.tensor2d(data.xVal, [data.yVal.length, dim]);
  const yValOneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(data.yVal, 'int32'), classes));

  const forward = (x: tf.Tensor2D, mask: tf.Tensor2D | null) => {
    let h = tf.relu(tf.add(tf.matMul(x, w1), b1));
    if (mask) h = tf.mul(h, mask);
    return tf.add(tf.matMul(h, w2), b2);
  };
  const lossOf = (logits: tf.Tensor, oneHot: tf.Tensor, weighted: boolean) => {
    const logp = tf.logSoftmax(logits);
    const perItem = tf.neg(tf.sum(tf.mul(oneHot, logp), 1));
    if (!weighted) return tf.mean(perItem);
    const w = tf.sum(tf.mul(oneHot, classWeight), 1);
    return tf.div(tf.sum(tf.mul(perItem, w)), tf.sum(w));
  };
  const accuracyOf = (logits: tf.Tensor, labels: tf.Tensor) =>
    tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));

  // The variables are float32, so their data are Float32Arrays.
  const f32 = (v: tf.Variable) => (v.dataSync() as Float32Array).slice();
  const history: EpochMetrics[] = [];
  let best: EpochMetrics | null = null;
  let bestWeights = snapshot();
  let sinceBest = 0;
  let stoppedEarly = false;
  let cancelled = false;
  const keep = 1 - cfg.dropout;

  function snapshot(): HeadWeights {
    return {
      w1: f32(w1),
      b1: f32(b1),
      w2: f32(w2),
      b2: f32(b2),
      dim,
      hidden: cfg.hiddenUnits,
      classes,
    };
  }

  const t = (m: tf.Tensor) => tf.transpose(m);
  /**
   * One Adam step with hand-written gradients of the weighted cross-entropy. The same
   * maths as autodiff, but every product's transpose is explicit: wasm's matMul with
   * transposeA (what autodiff emits for x^T·dy) is ~14× slower than transpose + matMul.
   */
  const step = (
    rows: Float32Array,
    n: number,
    labels: Int32Array,
    maskData: Float32Array | null,
  ): [number, number] => {
    const x = tf.tensor2d(rows, [n, dim]);
    const yb = tf.tensor1d(labels, 'int32');
    const oneHot = tf.oneHot(yb, classes);
    const pre = tf.add(tf.matMul(x, w1), b1);
    const active = tf.cast(tf.greater(pre, 0), 'float32');
    const mask = maskData ? tf.tensor2d(maskData, [n, cfg.hiddenUnits]) : null;
    const gate = mask ? tf.mul(active, mask) : active;
    const h = tf.mul(pre, gate);
    const logits = tf.add(tf.matMul(h, w2), b2);
    const logp = tf.logSoftmax(logits);
    const w = tf.sum(tf.mul(oneHot, classWeight), 1);
    const wSum = tf.sum(w);
    const loss = tf.div(tf.neg(tf.sum(tf.mul(w, tf.sum(tf.mul(oneHot, logp), 1)))), wSum);
    // d loss / d logits = w_i (softmax - onehot) / Σw
    const dLogits = tf.div(tf.mul(tf.sub(tf.exp(logp), oneHot), tf.expandDims(w, 1)), wSum);
    const dPre = tf.mul(tf.matMul(dLogits, t(w2)), gate);
    optimizer.applyGradients([
      { name: w1.name, tensor: tf.matMul(t(x), dPre) },
      { name: b1.name, tensor: tf.sum(dPre, 0) },
      { name: w2.name, tensor: tf.matMul(t(h), dLogits) },
      { name: b2.name, tensor: tf.sum(dLogits, 0) },
    ]);
    return [loss.dataSync()[0] ?? NaN, accuracyOf(logits, yb).dataSync()[0] ?? 0];
  };

  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const started = Date.now();
      const order = shuffled(
        Array.from({ length: nTrain }, (_, i) => i),
        random,
      );
      const batches = Math.ceil(nTrain / cfg.batchSize);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        if (hooks.shouldStop?.()) {
          cancelled = true;
          break;
        }
        const idx = order.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize);
        const n = idx.length;
        const maskData =
          cfg.dropout > 0
            ? Float32Array.from({ length: n * cfg.hiddenUnits }, () =>
                random() < keep ? 1 / keep : 0,
              )
            : null;
        const labels = Int32Array.from(idx, (i) => data.yTrain[i] ?? 0);
        // The batch is copied row by row in JS and uploaded: gathering or slicing rows of
        // one big tensor costs 1–28 ms per call on wasm.
        const rows = new Float32Array(n * dim);
        idx.forEach((i, k) => rows.set(data.xTrain.subarray(i * dim, (i + 1) * dim), k * dim));
        const [loss, acc] = tf.tidy(() => step(rows, n, labels, maskData));
        lossSum += loss * n;
        correct += acc * n;
        hooks.onBatch?.(epoch, b + 1, batches, loss, acc);
        // Let progress events out between batches.
        if (b % 8 === 7) await new Promise((r) => setImmediate(r));
      }
      if (cancelled) break;
      const [valLoss, valAccuracy] = tf.tidy(() => {
        if (data.yVal.length === 0) return [NaN, NaN];
        const logits = forward(xVal, null);
        return [
          lossOf(logits, yValOneHot, false).dataSync()[0] ?? NaN,
          accuracyOf(logits, tf.tensor1d(data.yVal, 'int32')).dataSync()[0] ?? NaN,
        ];
      });
      const m: EpochMetrics = {
        epoch,
        trainLoss: lossSum / nTrain,
        trainAccuracy: correct / nTrain,
        valLoss,
        valAccuracy,
        seconds: (Date.now() - started) / 1000,
      };
      history.push(m);
      hooks.onEpoch?.(m);
      // And between epochs: with fewer than 8 batches an epoch, a run in this thread never let
      // a cancel (or a project close) in until its last epoch.
      await new Promise((r) => setImmediate(r));
      if (cfg.fixedEpochs) {
        if (epoch === cfg.epochs) {
          best = m;
          bestWeights = snapshot();
        }
        continue;
      }
      const score = Number.isNaN(valLoss) ? m.trainLoss : valLoss;
      const bestScore = best
        ? Number.isNaN(best.valLoss)
          ? best.trainLoss
          : best.valLoss
        : Infinity;
      if (score < bestScore) {
        best = m;
        bestWeights = snapshot();
        sinceBest = 0;
      } else if (
        cfg.patience > 0 &&
        epoch > (cfg.warmupEpochs ?? 0) &&
        ++sinceBest >= cfg.patience
      ) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    tf.dispose([w1, b1, w2, b2, classWeight, xVal, yValOneHot]);
    optimizer.dispose();
  }
  return {
    history,
    bestEpoch: best?.epoch ?? 0,
    best,
    weights: bestWeights,
    stoppedEarly,
    cancelled,
  };
}
