/**
 * Weight averaging of a fine-tune (as in WiSE-FT): the released weights lie on the line from
 * where tuning started (the base's layers, the warmed-up head) to the tuned ones, which keeps
 * more of what the pre-trained network knew for images unlike the training set.
 */
import type { HeadWeights } from '../../model/head';
import type { TopWeights } from './top-net';

const mix = (from: Float32Array, to: Float32Array, share: number) =>
  Float32Array.from(to, (v, i) => (from[i] ?? 0) * (1 - share) + v * share);

/** A head between `from` and `to`: share 1 is `to`. */
export function blendHead(from: HeadWeights, to: HeadWeights, share: number): HeadWeights {
  return {
    ...to,
    w1: mix(from.w1, to.w1, share),
    b1: mix(from.b1, to.b1, share),
    w2: mix(from.w2, to.w2, share),
    b2: mix(from.b2, to.b2, share),
  };
}

/** Layer weights between `from` and `to`, tensor by tensor: share 1 is `to`. */
export function blendTop(from: TopWeights, to: TopWeights, share: number): TopWeights {
  const out: TopWeights = {};
  for (const [layer, entry] of Object.entries(to)) {
    out[layer] = {};
    for (const [name, w] of Object.entries(entry)) {
      const start = from[layer]?.[name]?.data;
      out[layer][name] = { shape: w.shape, data: start ? mix(start, w.data, share) : w.data };
    }
  }
  return out;
}
