import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build registers no backend; the umbrella package does (as it did when
// this lived beside the trainer).
import '@tensorflow/tfjs';

/** A trained classifier head (Dense ReLU → Dense softmax), shared by train, eval, assist and export. */
export interface HeadWeights {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  dim: number;
  hidden: number;
  classes: number;
}

/** Class probabilities of embeddings under trained head weights (inference, no dropout). */
export function predictHead(weights: HeadWeights, x: Float32Array): Float32Array {
  return tf.tidy(() => {
    const n = x.length / weights.dim;
    const xt = tf.tensor2d(x, [n, weights.dim]);
    const h = tf.relu(
      tf.add(
        tf.matMul(xt, tf.tensor2d(weights.w1, [weights.dim, weights.hidden])),
        tf.tensor1d(weights.b1),
      ),
    );
    const logits = tf.add(
      tf.matMul(h, tf.tensor2d(weights.w2, [weights.hidden, weights.classes])),
      tf.tensor1d(weights.b2),
    );
    return tf.softmax(logits).dataSync() as Float32Array;
  });
}

/** Runs the head over every item's vector in one batch and returns the items with their probabilities. */
export function withHeadProbabilities<T extends object>(
  weights: HeadWeights,
  kept: readonly { item: T; vector: Float32Array }[],
): (T & { probs: Float32Array })[] {
  const k = weights.classes;
  const x = new Float32Array(kept.length * weights.dim);
  kept.forEach((kv, i) => x.set(kv.vector, i * weights.dim));
  const probs = kept.length > 0 ? predictHead(weights, x) : new Float32Array(0);
  return kept.map((kv, i) => ({ ...kv.item, probs: probs.slice(i * k, (i + 1) * k) }));
}
