import * as tf from '@tensorflow/tfjs-core';
import type { HeadConfig } from '../head-trainer';
import type { HeadWeights } from '../../model/head';
import { fastMatMul } from './fast-matmul';

/** The dense head on top of the net's features, and its class-weighted loss. */
export function makeHead(
  cfg: HeadConfig,
  random: () => number,
  dim: number,
  classes: number,
  yTrain: Int32Array,
  initial: HeadWeights | undefined,
) {
  const glorot = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: fanIn * fanOut }, () => (random() * 2 - 1) * limit);
  };
  const hidden = initial?.hidden ?? cfg.hiddenUnits;
  // In a tidy, so the initial values' tensors go once the variables hold copies.
  const [w1, b1, w2, b2] = tf.tidy(() => [
    tf.variable(tf.tensor2d(initial?.w1 ?? glorot(dim, hidden), [dim, hidden])),
    tf.variable(initial ? tf.tensor1d(initial.b1) : tf.zeros([hidden])),
    tf.variable(tf.tensor2d(initial?.w2 ?? glorot(hidden, classes), [hidden, classes])),
    tf.variable(initial ? tf.tensor1d(initial.b2) : tf.zeros([classes])),
  ]) as [
    tf.Variable<tf.Rank.R2>,
    tf.Variable<tf.Rank.R1>,
    tf.Variable<tf.Rank.R2>,
    tf.Variable<tf.Rank.R1>,
  ];
  const counts = new Array<number>(classes).fill(0);
  for (const y of yTrain) counts[y] = (counts[y] ?? 0) + 1;
  const classWeight = tf.tensor1d(
    counts.map((n) => (cfg.classWeighting && n > 0 ? yTrain.length / (classes * n) : 1)),
  );
  const f32 = (v: tf.Variable) => (v.dataSync() as Float32Array).slice();
  const oneHotOf = (labels: Int32Array) => tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
  return {
    vars: [w1, b1, w2, b2],
    hidden,
    logits(f: tf.Tensor2D, mask: tf.Tensor2D | null): tf.Tensor {
      let h = tf.relu(tf.add(fastMatMul(f, w1), b1));
      if (mask) h = tf.mul(h, mask);
      return tf.add(fastMatMul(h as tf.Tensor2D, w2), b2);
    },
    /** Sum of the items' class weights: the normaliser of a whole batch's weighted loss. */
    weightSum: (labels: Int32Array) =>
      tf.tidy(() => tf.sum(tf.sum(tf.mul(oneHotOf(labels), classWeight), 1))),
    /** Weighted loss of some items over `norm`, or the plain summed loss when norm is null. */
    loss(logits: tf.Tensor, labels: Int32Array, norm: tf.Tensor | null): tf.Tensor {
      const oneHot = oneHotOf(labels);
      const perItem = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1));
      if (!norm) return tf.sum(perItem);
      return tf.div(tf.sum(tf.mul(perItem, tf.sum(tf.mul(oneHot, classWeight), 1))), norm);
    },
    load(w: HeadWeights): void {
      tf.tidy(() => {
        w1.assign(tf.tensor2d(w.w1, w1.shape));
        b1.assign(tf.tensor1d(w.b1));
        w2.assign(tf.tensor2d(w.w2, w2.shape));
        b2.assign(tf.tensor1d(w.b2));
      });
    },
    correct: (logits: tf.Tensor, labels: Int32Array) =>
      tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32')), 'float32')),
    snapshot: (): HeadWeights => ({
      w1: f32(w1),
      b1: f32(b1),
      w2: f32(w2),
      b2: f32(b2),
      dim,
      hidden,
      classes,
    }),
    dispose: () => tf.dispose([w1, b1, w2, b2, classWeight]),
  };
}

export type Head = ReturnType<typeof makeHead>;
