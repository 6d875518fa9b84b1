import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import type { EpochMetrics } from '../../../../shared/types';
import type { HeadConfig, HeadHooks, HeadWeights } from '../head-trainer';
import { seededRandom, shuffled } from '../rng';
import { fastMatMul } from './fast-matmul';
import type { TopWeights } from './top-net';

/** Something trainable that turns an input batch into features: a rebuilt top or a whole base. */
export interface FeatureNet {
  readonly variables: tf.Variable[];
  /** Inference-mode forward pass (BatchNorm statistics fixed, no dropout). */
  forward(x: tf.Tensor4D): tf.Tensor2D;
  weights(): TopWeights;
}

/** Where batches come from: cached activations or augmented images. */
export interface BatchSource {
  /** Inputs of training items (indices into the training set) for an epoch. */
  train(indices: number[], epoch: number): Promise<tf.Tensor4D>;
  /** Inputs of validation items, plain (view 0). */
  validation(indices: number[]): Promise<tf.Tensor4D>;
}

export interface FinetuneConfig extends HeadConfig {
  warmupEpochs: number;
  baseLearningRateFactor: number;
}

export interface FinetuneResult {
  history: EpochMetrics[];
  bestEpoch: number;
  best: EpochMetrics | null;
  head: HeadWeights;
  /** The trained layers' weights at the best epoch. */
  top: TopWeights;
  cancelled: boolean;
  stoppedEarly: boolean;
}

/**
 * fastai-style fine-tuning: `warmupEpochs` train the head alone on the frozen net, then
 * the net's trainable variables join at learningRate × baseLearningRateFactor (own Adam).
 * Batches are pulled from `source` one at a time, so memory stays bounded by the batch.
 */
export async function trainFinetune(
  net: FeatureNet,
  source: BatchSource,
  data: { featureDim: number; classes: number; yTrain: Int32Array; yVal: Int32Array },
  cfg: FinetuneConfig,
  hooks: HeadHooks = {},
): Promise<FinetuneResult> {
  const random = seededRandom(cfg.seed);
  const { featureDim: dim, classes } = data;
  const nTrain = data.yTrain.length;
  const glorot = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: fanIn * fanOut }, () => (random() * 2 - 1) * limit);
  };
  const hidden = cfg.hiddenUnits;
  const w1 = tf.variable(tf.tensor2d(glorot(dim, hidden), [dim, hidden]));
  const b1 = tf.variable(tf.zeros([hidden]));
  const w2 = tf.variable(tf.tensor2d(glorot(hidden, classes), [hidden, classes]));
  const b2 = tf.variable(tf.zeros([classes]));
  const headVars = [w1, b1, w2, b2];
  const headOpt = tf.train.adam(cfg.learningRate);
  const baseOpt = tf.train.adam(cfg.learningRate * cfg.baseLearningRateFactor);
  const counts = new Array<number>(classes).fill(0);
  for (const y of data.yTrain) counts[y] = (counts[y] ?? 0) + 1;
  const classWeight = tf.tensor1d(
    counts.map((n) => (cfg.classWeighting && n > 0 ? nTrain / (classes * n) : 1)),
  );
  const head = (f: tf.Tensor2D, mask: tf.Tensor2D | null) => {
    let h = tf.relu(tf.add(fastMatMul(f, w1), b1));
    if (mask) h = tf.mul(h, mask);
    return tf.add(fastMatMul(h as tf.Tensor2D, w2), b2);
  };
  const lossOf = (logits: tf.Tensor, labels: Int32Array, weighted: boolean) => {
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
    const perItem = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1));
    if (!weighted) return tf.sum(perItem);
    const w = tf.sum(tf.mul(oneHot, classWeight), 1);
    return tf.div(tf.sum(tf.mul(perItem, w)), tf.sum(w));
  };
  const correctOf = (logits: tf.Tensor, labels: Int32Array) =>
    tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32')), 'float32'));
  const f32 = (v: tf.Variable) => (v.dataSync() as Float32Array).slice();
  const snapshotHead = (): HeadWeights => ({
    w1: f32(w1),
    b1: f32(b1),
    w2: f32(w2),
    b2: f32(b2),
    dim,
    hidden,
    classes,
  });
  const history: EpochMetrics[] = [];
  let best: EpochMetrics | null = null;
  let bestHead = snapshotHead();
  let bestTop = net.weights();
  let sinceBest = 0;
  let cancelled = false;
  let stoppedEarly = false;
  const keep = 1 - cfg.dropout;
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const started = Date.now();
      const tuning = epoch > cfg.warmupEpochs && net.variables.length > 0;
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
        const labels = Int32Array.from(idx, (i) => data.yTrain[i] ?? 0);
        const maskData =
          cfg.dropout > 0
            ? Float32Array.from({ length: idx.length * hidden }, () =>
                random() < keep ? 1 / keep : 0,
              )
            : null;
        const x = await source.train(idx, epoch);
        const [loss, acc] = tf.tidy(() => {
          const mask = maskData ? tf.tensor2d(maskData, [idx.length, hidden]) : null;
          // Warm-up: features without a gradient tape through the net.
          const frozen = tuning ? null : net.forward(x);
          let logits: tf.Tensor | null = null;
          const vars = tuning ? [...headVars, ...net.variables] : headVars;
          const { value, grads } = tf.variableGrads(() => {
            logits = tf.keep(head(frozen ?? net.forward(x), mask));
            return lossOf(logits, labels, true) as tf.Scalar;
          }, vars);
          const headNames = new Set(headVars.map((v) => v.name));
          const forHead: { name: string; tensor: tf.Tensor }[] = [];
          const forBase: { name: string; tensor: tf.Tensor }[] = [];
          for (const [name, tensor] of Object.entries(grads)) {
            (headNames.has(name) ? forHead : forBase).push({ name, tensor });
          }
          headOpt.applyGradients(forHead);
          if (tuning) baseOpt.applyGradients(forBase);
          const kept = logits as tf.Tensor | null;
          const out: [number, number] = [
            value.dataSync()[0] ?? NaN,
            kept ? (correctOf(kept, labels).dataSync()[0] ?? 0) / idx.length : 0,
          ];
          kept?.dispose();
          return out;
        });
        x.dispose();
        lossSum += loss * idx.length;
        correct += acc * idx.length;
        hooks.onBatch?.(epoch, b + 1, batches, loss, acc);
        await new Promise((r) => setImmediate(r));
      }
      if (cancelled) break;
      let valLossSum = 0;
      let valCorrect = 0;
      const nVal = data.yVal.length;
      for (let s = 0; s < nVal; s += cfg.batchSize) {
        const idx = Array.from({ length: Math.min(cfg.batchSize, nVal - s) }, (_, i) => s + i);
        const labels = Int32Array.from(idx, (i) => data.yVal[i] ?? 0);
        const x = await source.validation(idx);
        const [l, c] = tf.tidy(() => {
          const logits = head(net.forward(x), null);
          return [
            lossOf(logits, labels, false).dataSync()[0] ?? NaN,
            correctOf(logits, labels).dataSync()[0] ?? 0,
          ];
        });
        x.dispose();
        valLossSum += l;
        valCorrect += c;
      }
      const m: EpochMetrics = {
        epoch,
        trainLoss: lossSum / nTrain,
        trainAccuracy: correct / nTrain,
        valLoss: nVal ? valLossSum / nVal : NaN,
        valAccuracy: nVal ? valCorrect / nVal : NaN,
        seconds: (Date.now() - started) / 1000,
      };
      history.push(m);
      hooks.onEpoch?.(m);
      if (cfg.fixedEpochs) {
        if (epoch === cfg.epochs) {
          best = m;
          bestHead = snapshotHead();
          bestTop = net.weights();
        }
        continue;
      }
      const score = Number.isNaN(m.valLoss) ? m.trainLoss : m.valLoss;
      const bestScore = best
        ? Number.isNaN(best.valLoss)
          ? best.trainLoss
          : best.valLoss
        : Infinity;
      if (score < bestScore) {
        best = m;
        bestHead = snapshotHead();
        bestTop = net.weights();
        sinceBest = 0;
      } else if (cfg.patience > 0 && epoch > cfg.warmupEpochs && ++sinceBest >= cfg.patience) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    tf.dispose([...headVars, classWeight]);
    headOpt.dispose();
    baseOpt.dispose();
  }
  return {
    history,
    bestEpoch: best?.epoch ?? 0,
    best,
    head: bestHead,
    top: bestTop,
    cancelled,
    stoppedEarly,
  };
}
