import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered by the umbrella package's build (see head-trainer.ts).
import '@tensorflow/tfjs';
import {
  loadLayersModel,
  model as functionalModel,
  type LayersModel,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../shared/errors';
import { findFeatureLayer } from '../ml/feature-model';
import { diskModelHandler, modelFormat } from '../ml/model-io';
import type { HeadWeights } from '../model/head';

/** A Layers base cut at its last spatial feature map, and how the embedding pools it. */
export interface SpatialBase {
  /** [1, h, w, 3] input → [1, fh, fw, c] feature map. */
  featureMap(input: tf.Tensor4D): tf.Tensor4D;
  pooling: 'avg' | 'max';
  inputSize: [number, number];
  dispose(): void;
}

export interface CamResult {
  width: number;
  height: number;
  /** Row-major, scaled to 0–1 (all zero when nothing raises the class score). */
  values: Float32Array;
  classIndex: number;
  probabilities: Float32Array;
}

/** Cuts a Layers model at the spatial map its embedding pools (see loadFeatureModel). */
export function spatialBaseOf(full: LayersModel, featureOutput = 'auto'): SpatialBase {
  const found = findFeatureLayer(full, featureOutput);
  let spatial: SymbolicTensor = found.output;
  let pooling: 'avg' | 'max' = 'avg';
  if (spatial.shape.length !== 4) {
    const layer = full.getLayer(found.name);
    const cls = layer.getClassName();
    const input = layer.input;
    if (!/^Global(Average|Max)Pooling2D$/.test(cls) || Array.isArray(input)) {
      throw new OcellusError(
        'UNSUPPORTED',
        `Heat maps need a spatial feature map under the embedding; ${found.name} (${cls}) has none`,
      );
    }
    spatial = input;
    pooling = cls.startsWith('GlobalMax') ? 'max' : 'avg';
  }
  const cut = functionalModel({ inputs: full.inputs, outputs: spatial });
  const inShape = full.inputs[0]?.shape ?? [];
  return {
    featureMap: (input) => cut.predict(input) as tf.Tensor4D,
    pooling,
    inputSize: [Number(inShape[1] ?? 224), Number(inShape[2] ?? 224)],
    dispose: () => full.dispose(),
  };
}

/** Loads a Layers model from disk as a spatial base; Graph models are refused. */
export async function loadSpatialBase(
  modelJsonPath: string,
  featureOutput = 'auto',
): Promise<SpatialBase> {
  if (modelFormat(modelJsonPath) !== 'layers') {
    throw new OcellusError(
      'UNSUPPORTED',
      'Heat maps need a Layers model (this base model is a Graph model)',
    );
  }
  return spatialBaseOf(await loadLayersModel(diskModelHandler(modelJsonPath)), featureOutput);
}

/**
 * Grad-CAM of one image: the base runs forward to its feature map A (inference only, so no
 * convolution gradients are needed — the wasm backend has none), then the gradient of the
 * head's class score (pre-softmax) with respect to A weights A's channels; the map is the
 * ReLU of that weighted sum, scaled to 0–1.
 */
export function gradCam(
  base: SpatialBase,
  head: HeadWeights,
  input: Float32Array,
  classIndex?: number,
): CamResult {
  const [h, w] = base.inputSize;
  return tf.tidy(() => {
    const x = tf.tensor4d(input, [1, h, w, 3]);
    const a = base.featureMap(x);
    const [, fh, fw, c] = a.shape;
    if (c !== head.dim) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `The run's classifier expects ${head.dim} features; the base model gives ${c}`,
      );
    }
    const w1 = tf.tensor2d(head.w1, [head.dim, head.hidden]);
    const b1 = tf.tensor1d(head.b1);
    const w2 = tf.tensor2d(head.w2, [head.hidden, head.classes]);
    const b2 = tf.tensor1d(head.b2);
    const logitsOf = (map: tf.Tensor4D) => {
      const pooled = base.pooling === 'max' ? tf.max(map, [1, 2]) : tf.mean(map, [1, 2]);
      const hidden = tf.relu(tf.add(tf.matMul(pooled as tf.Tensor2D, w1), b1));
      return tf.add(tf.matMul(hidden, w2), b2) as tf.Tensor2D;
    };
    const logits = logitsOf(a);
    const probabilities = tf.softmax(logits).dataSync() as Float32Array;
    const target = classIndex ?? argMax(probabilities);
    if (target < 0 || target >= head.classes) {
      throw new OcellusError('INVALID_ARGUMENT', `No class ${target} in this run`);
    }
    const oneHot = tf.oneHot(tf.tensor1d([target], 'int32'), head.classes);
    const grads = tf.grad((map: tf.Tensor) => tf.sum(tf.mul(logitsOf(map as tf.Tensor4D), oneHot)))(
      a,
    );
    const alpha = tf.mean(grads, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(a, alpha), 3));
    const max = tf.max(cam).dataSync()[0] ?? 0;
    const values = (
      max > 0 ? tf.div(cam, max).dataSync() : new Float32Array(fh * fw)
    ) as Float32Array;
    return {
      width: fw,
      height: fh,
      values: Float32Array.from(values),
      classIndex: target,
      probabilities: Float32Array.from(probabilities),
    };
  });
}

function argMax(p: Float32Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] ?? 0) > (p[best] ?? 0)) best = i;
  return best;
}
