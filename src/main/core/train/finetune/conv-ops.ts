import * as tf from '@tensorflow/tfjs-core';
import { fastMatMul } from './fast-matmul';

/**
 * A convolution made of ops with gradients on every backend: 1×1 as one matrix product
 * over [n·h·w, c]; stride-1 k×k as a sum of k² products of shifted slices (depthwise:
 * element-wise). Other strides use the backend's own kernel.
 */
export function conv(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  [sy = 1, sx = 1]: number[],
  same: boolean,
  depthwise: boolean,
): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernel.shape;
  const [n, h, w] = x.shape;
  if (sy !== 1 || sx !== 1) {
    return depthwise
      ? tf.depthwiseConv2d(x, kernel, [sy, sx], same ? 'same' : 'valid')
      : tf.conv2d(x, kernel, [sy, sx], same ? 'same' : 'valid');
  }
  if (kh === 1 && kw === 1) {
    if (depthwise) return tf.mul(x, tf.reshape(kernel, [cin])) as tf.Tensor4D;
    const y = fastMatMul(tf.reshape(x, [n * h * w, cin]), tf.reshape(kernel, [cin, cout]));
    return tf.reshape(y, [n, h, w, cout]);
  }
  const padded = same
    ? tf.pad(x, [
        [0, 0],
        [Math.floor((kh - 1) / 2), Math.ceil((kh - 1) / 2)],
        [Math.floor((kw - 1) / 2), Math.ceil((kw - 1) / 2)],
        [0, 0],
      ])
    : x;
  const oh = same ? h : h - kh + 1;
  const ow = same ? w : w - kw + 1;
  const terms: tf.Tensor[] = [];
  for (let dy = 0; dy < kh; dy++) {
    for (let dx = 0; dx < kw; dx++) {
      const patch = tf.slice(padded, [0, dy, dx, 0], [n, oh, ow, cin]);
      const k = tf.slice(kernel, [dy, dx, 0, 0], [1, 1, cin, cout]);
      if (depthwise) {
        terms.push(tf.mul(patch, tf.reshape(k, [cin])));
      } else {
        const y = fastMatMul(tf.reshape(patch, [n * oh * ow, cin]), tf.reshape(k, [cin, cout]));
        terms.push(tf.reshape(y, [n, oh, ow, cout]));
      }
    }
  }
  return tf.addN(terms) as tf.Tensor4D;
}
