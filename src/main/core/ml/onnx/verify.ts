import * as tf from '@tensorflow/tfjs-core';
import type { InferenceSession } from 'onnxruntime-node';
import type { Ort } from './onnx-engine';
import { seededRandom } from '../../util/rng';
import { ONNX_INPUT } from './convert-layers';

/** The largest difference allowed between ONNX Runtime and TF.js outputs. */
export const VERIFY_TOLERANCE = 1e-4;

/** Seeded inputs in [-1, 1] (the range most zoo models take), `count` images of h×w×3. */
export function verificationInputs(count: number, h: number, w: number, seed = 7): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(count * h * w * 3);
  // Smooth blobs rather than white noise, so activations look like those of photographs.
  for (let n = 0; n < count; n++) {
    const fx = 1 + random() * 6;
    const fy = 1 + random() * 6;
    const phase = random() * 6;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) {
          const v = Math.sin((fx * x) / w + phase + c) * Math.cos((fy * y) / h - c);
          out[((n * h + y) * w + x) * 3 + c] = v * 0.9 + (random() - 0.5) * 0.2;
        }
  }
  return out;
}

/**
 * Runs the same inputs through ONNX Runtime and `reference` (TF.js) and returns the largest
 * absolute difference between their outputs.
 */
export async function compareWithTfjs(
  session: InferenceSession,
  ort: Ort,
  reference: (batch: tf.Tensor4D) => tf.Tensor,
  pixels: Float32Array,
  dims: [number, number, number, number],
): Promise<number> {
  const result = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', pixels, dims) });
  const outName = session.outputNames[0] ?? '';
  const got = result[outName]?.data as Float32Array | undefined;
  const input = tf.tensor4d(pixels, dims);
  const want = reference(input);
  const expected = want.dataSync() as Float32Array;
  input.dispose();
  want.dispose();
  if (!got || got.length !== expected.length) return Infinity;
  let max = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs((got[i] ?? 0) - (expected[i] ?? 0));
    if (!(d <= max)) max = d; // NaN counts as the worst difference
  }
  return max;
}
