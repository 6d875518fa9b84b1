import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import type { EpochMetrics } from '../../../../shared/types';
import type { HeadConfig, HeadHooks } from '../head-trainer';
import type { HeadWeights } from '../../model/head';
import { seededRandom, shuffled } from '../../util/rng';
import { blendHead, blendTop } from './blend';
import { makeHead, type Head } from './finetune-head';
import type { TopWeights } from './top-net';
import { WeightAverager } from './weight-average';

/** Something trainable that turns an input batch into features: a rebuilt top or a whole base. */
export interface FeatureNet {
  readonly variables: tf.Variable[];
  /** Inference-mode forward pass (BatchNorm statistics fixed, no dropout). */
  forward(x: tf.Tensor4D): tf.Tensor2D;
  weights(): TopWeights;
  /** Sets the trainable layers' weights (as `weights()` gives them). */
  load(weights: TopWeights): void;
  /** Items per forward/backward pass (memory bound); a batch is split into these. */
  readonly microBatch?: number;
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
  /** Share of the tuned weights in the result, the rest from where tuning started (1: none). */
  tunedShare?: number;
  /** Release the mean of the tuning steps' weights over the epochs near the best (SWAD). */
  weightAveraging?: boolean;
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
  /** Validation of the released weights when they are a blend (tunedShare < 1). */
  blended: { valLoss: number; valAccuracy: number } | null;
  /** Validation of the released weights when they are a step average, and its epochs. */
  averaged: { valLoss: number; valAccuracy: number; epochs: [number, number] } | null;
}

interface Step {
  net: FeatureNet;
  head: Head;
  source: BatchSource;
  headOpt: tf.Optimizer;
  baseOpt: tf.Optimizer;
  shouldStop: () => boolean;
}

/**
 * One optimiser step on a batch, in micro-batches of `net.microBatch` items whose gradients
 * add up to the batch's (exact: BatchNorm runs in inference mode, so no item depends on
 * another). Memory is bounded by the micro-batch; a cancel is seen between micro-batches.
 * Returns the batch's loss and accuracy, or null when cancelled.
 */
async function trainBatch(
  s: Step,
  idx: number[],
  labels: Int32Array,
  mask: Float32Array | null,
  epoch: number,
  tuning: boolean,
): Promise<[number, number] | null> {
  const { net, head } = s;
  const micro = Math.max(1, Math.min(net.microBatch ?? idx.length, idx.length));
  const vars = tuning ? [...head.vars, ...net.variables] : head.vars;
  const norm = head.weightSum(labels);
  let sums: tf.NamedTensorMap = {};
  let loss = 0;
  let correct = 0;
  let next = s.source.train(idx.slice(0, micro), epoch);
  try {
    for (let start = 0; start < idx.length; start += micro) {
      const x = await next;
      if (s.shouldStop()) {
        x.dispose();
        return null;
      }
      const end = Math.min(start + micro, idx.length);
      // Decoding the next micro-batch (sharp's threads) overlaps this one's compute.
      if (end < idx.length) next = s.source.train(idx.slice(end, end + micro), epoch);
      const part = labels.subarray(start, end);
      const [l, c] = tf.tidy(() => {
        const m = mask
          ? tf.tensor2d(mask.subarray(start * head.hidden, end * head.hidden), [
              end - start,
              head.hidden,
            ])
          : null;
        // Warm-up: features without a gradient tape through the net.
        const frozen = tuning ? null : net.forward(x);
        let logits: tf.Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          logits = tf.keep(head.logits(frozen ?? net.forward(x), m));
          return head.loss(logits, part, norm) as tf.Scalar;
        }, vars);
        const kept = logits as tf.Tensor | null;
        const out: [number, number] = [
          value.dataSync()[0] ?? NaN,
          kept ? (head.correct(kept, part).dataSync()[0] ?? 0) : 0,
        ];
        kept?.dispose();
        const added: tf.NamedTensorMap = {};
        for (const [name, g] of Object.entries(grads)) {
          const prev = sums[name];
          added[name] = tf.keep(prev ? tf.add(prev, g) : g);
        }
        tf.dispose(Object.values(sums));
        sums = added;
        return out;
      });
      x.dispose();
      loss += l;
      correct += c;
    }
    const headNames = new Set(head.vars.map((v) => v.name));
    const forHead: { name: string; tensor: tf.Tensor }[] = [];
    const forBase: { name: string; tensor: tf.Tensor }[] = [];
    for (const [name, tensor] of Object.entries(sums)) {
      (headNames.has(name) ? forHead : forBase).push({ name, tensor });
    }
    s.headOpt.applyGradients(forHead);
    if (tuning) s.baseOpt.applyGradients(forBase);
    return [loss, correct / idx.length];
  } finally {
    tf.dispose([norm, ...Object.values(sums)]);
    // A cancelled batch may leave the next micro-batch decoding: free it when it lands.
    void next.then(
      (t) => t.isDisposed || t.dispose(),
      () => undefined,
    );
  }
}

/** Validation loss and accuracy over the whole validation set, plain views. */
async function validate(s: Step, yVal: Int32Array, batchSize: number): Promise<[number, number]> {
  let lossSum = 0;
  let correct = 0;
  const n = yVal.length;
  const step = Math.max(1, Math.min(batchSize, s.net.microBatch ?? batchSize));
  for (let start = 0; start < n; start += step) {
    const idx = Array.from({ length: Math.min(step, n - start) }, (_, i) => start + i);
    const labels = Int32Array.from(idx, (i) => yVal[i] ?? 0);
    const x = await s.source.validation(idx);
    const [l, c] = tf.tidy(() => {
      const logits = s.head.logits(s.net.forward(x), null);
      return [
        s.head.loss(logits, labels, null).dataSync()[0] ?? NaN,
        s.head.correct(logits, labels).dataSync()[0] ?? 0,
      ];
    });
    x.dispose();
    lossSum += l;
    correct += c;
  }
  return n ? [lossSum / n, correct / n] : [NaN, NaN];
}

/**
 * fastai-style fine-tuning: `warmupEpochs` train the head alone on the frozen net, then
 * the net's trainable variables join at learningRate × baseLearningRateFactor (own Adam).
 * Batches are pulled from `source` one micro-batch at a time, so memory stays bounded.
 */
// eslint-disable-next-line max-lines-per-function -- the epoch loop with two optimisers and early stopping shares the variables it disposes in one finally.
export async function trainFinetune(
  net: FeatureNet,
  source: BatchSource,
  data: {
    featureDim: number;
    classes: number;
    yTrain: Int32Array;
    yVal: Int32Array;
    /** A head already trained on the frozen net's features (the warm-up done elsewhere). */
    head?: HeadWeights;
  },
  cfg: FinetuneConfig,
  hooks: HeadHooks = {},
): Promise<FinetuneResult> {
  const random = seededRandom(cfg.seed);
  const nTrain = data.yTrain.length;
  const head = makeHead(cfg, random, data.featureDim, data.classes, data.yTrain, data.head);
  const step: Step = {
    net,
    head,
    source,
    headOpt: tf.train.adam(cfg.learningRate),
    baseOpt: tf.train.adam(cfg.learningRate * cfg.baseLearningRateFactor),
    shouldStop: () => hooks.shouldStop?.() ?? false,
  };
  const history: EpochMetrics[] = [];
  let best: EpochMetrics | null = null;
  let bestHead = head.snapshot();
  let bestTop = net.weights();
  let sinceBest = 0;
  // The weights tuning starts from (base layers + warmed-up head), for weight averaging.
  let anchor: { head: HeadWeights; top: TopWeights } | null = null;
  let blended: FinetuneResult['blended'] = null;
  let averaged: FinetuneResult['averaged'] = null;
  const averager = cfg.weightAveraging ? new WeightAverager(cfg.fixedEpochs === true) : null;
  let cancelled = false;
  let stoppedEarly = false;
  const keep = 1 - cfg.dropout;
  const scoreOf = (m: EpochMetrics) => (Number.isNaN(m.valLoss) ? m.trainLoss : m.valLoss);
  // The estimate must describe the weights released (averaged or blended), not the tuned ones.
  const validateReleased = async (h: HeadWeights, top: TopWeights) => {
    if (data.yVal.length === 0) return null;
    head.load(h);
    net.load(top);
    const [valLoss, valAccuracy] = await validate(step, data.yVal, cfg.batchSize);
    return { valLoss, valAccuracy };
  };
  try {
    for (let epoch = 1; epoch <= cfg.epochs && !cancelled; epoch++) {
      const started = Date.now();
      const tuning = epoch > cfg.warmupEpochs && net.variables.length > 0;
      if (tuning && !anchor) anchor = { head: head.snapshot(), top: net.weights() };
      const order = shuffled(
        Array.from({ length: nTrain }, (_, i) => i),
        random,
      );
      const batches = Math.ceil(nTrain / cfg.batchSize);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batches && !cancelled; b++) {
        const idx = order.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize);
        const labels = Int32Array.from(idx, (i) => data.yTrain[i] ?? 0);
        const mask =
          cfg.dropout > 0
            ? Float32Array.from({ length: idx.length * head.hidden }, () =>
                random() < keep ? 1 / keep : 0,
              )
            : null;
        const out = step.shouldStop()
          ? null
          : await trainBatch(step, idx, labels, mask, epoch, tuning);
        if (!out) {
          cancelled = true;
          break;
        }
        if (tuning) averager?.addStep(head.snapshot(), net.weights());
        lossSum += out[0] * idx.length;
        correct += out[1] * idx.length;
        hooks.onBatch?.(epoch, b + 1, batches, out[0], out[1]);
        await new Promise((r) => setImmediate(r));
      }
      if (cancelled) break;
      const [valLoss, valAccuracy] = await validate(step, data.yVal, cfg.batchSize);
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
      averager?.endEpoch(epoch, valLoss);
      if (cfg.fixedEpochs) {
        if (epoch === cfg.epochs) {
          best = m;
          bestHead = head.snapshot();
          bestTop = net.weights();
        }
        continue;
      }
      if (scoreOf(m) < (best ? scoreOf(best) : Infinity)) {
        best = m;
        bestHead = head.snapshot();
        bestTop = net.weights();
        sinceBest = 0;
      } else if (cfg.patience > 0 && epoch > cfg.warmupEpochs && ++sinceBest >= cfg.patience) {
        stoppedEarly = true;
        break;
      }
    }
    const mean = averager && !cancelled ? averager.average() : null;
    if (mean) {
      bestHead = mean.head;
      bestTop = mean.top;
      const v = await validateReleased(bestHead, bestTop);
      averaged = v && { ...v, epochs: mean.epochs };
    }
    const share = cfg.tunedShare ?? 1;
    if (anchor && share < 1 && !cancelled) {
      bestHead = blendHead(anchor.head, bestHead, share);
      bestTop = blendTop(anchor.top, bestTop, share);
      blended = await validateReleased(bestHead, bestTop);
    }
  } finally {
    head.dispose();
    step.headOpt.dispose();
    step.baseOpt.dispose();
  }
  return {
    blended,
    averaged,
    history,
    bestEpoch: best?.epoch ?? 0,
    best,
    head: bestHead,
    top: bestTop,
    cancelled,
    stoppedEarly,
  };
}
