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
