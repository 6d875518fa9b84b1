import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EmbedModel } from '../ml/embedder';
import { buildClassifierOnnx, ONNX_INPUT, ONNX_PROBABILITIES } from '../ml/onnx/convert-layers';
import { createSession, loadOrt } from '../ml/onnx/onnx-engine';
import { OPSET } from '../ml/onnx/onnx-graph';
import { compareWithTfjs, verificationInputs, VERIFY_TOLERANCE } from '../ml/onnx/verify';
import type { HeadWeights } from '../model/head';
import { loadBase, type TrainedParts } from './bundle-model';
import { writeNewFile } from '../util/fs-atomic';

export const ONNX_FILE = 'model.onnx';

/** What preprocessing.json says about model.onnx, or why there is none. */
export type OnnxBundleInfo =
  | {
      file: string;
      input: string;
      output: string;
      /** Channels last as the TF.js model ([batch, height, width, 3]), or first as an ONNX base declares. */
      layout: 'NHWC' | 'NCHW';
      shape: [null, number, number, 3] | [null, 3, number, number];
      opset: number;
      /** Largest probability difference from the TF.js model on the check inputs. */
      maxAbsDiffFromTfjs: number;
    }
  | { file: null; reason: string };

/**
 * Writes the whole classifier (base + head) as model.onnx beside the TF.js model, checked
 * against `classifier` (the TF.js one) on seeded inputs; a layer the converter does not
 * know, or a mismatch, leaves the file out and says why rather than failing the bundle.
 */
export async function writeOnnxClassifier(
  dir: string,
  model: EmbedModel,
  parts: TrainedParts & { head: HeadWeights },
  classifier: tfl.LayersModel,
): Promise<OnnxBundleInfo> {
  const base = await loadBase(model, parts);
  try {
    const bytes = buildClassifierOnnx(base, model.featureOutput, parts.head);
    const [h, w] = model.preprocessing.inputSize;
    const session = await createSession(bytes);
    const diff = await compareWithTfjs(
      session,
      await loadOrt(),
      (batch) => classifier.predict(batch) as tf.Tensor,
      verificationInputs(2, h, w),
      [2, h, w, 3],
    );
    await session.release();
    if (!(diff < VERIFY_TOLERANCE)) {
      return {
        file: null,
        reason: `ONNX Runtime and TF.js disagreed by ${diff} (limit ${VERIFY_TOLERANCE})`,
      };
    }
    writeNewFile(path.join(dir, ONNX_FILE), bytes);
    return {
      file: ONNX_FILE,
      input: ONNX_INPUT,
      output: ONNX_PROBABILITIES,
      layout: 'NHWC',
      shape: [null, h, w, 3],
      opset: OPSET,
      maxAbsDiffFromTfjs: diff,
    };
  } catch (err) {
    return { file: null, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    base.dispose();
  }
}
