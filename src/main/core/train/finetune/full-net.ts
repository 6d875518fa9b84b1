import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import {
  model as functionalModel,
  type LayersModel,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import type { FeatureNet } from './finetune-loop';
import type { TopWeights } from './top-net';

const WEIGHTED = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Dense']);

/** A whole Layers base as a FeatureNet, for the full-network path (native backend). */
export interface FullNet extends FeatureNet {
  /** Weighted layers that train, bottom first. */
  readonly trainable: string[];
  readonly microBatch: number;
  dispose(): void;
}

/**
 * The base up to `featureLayer` with its top `unfreezeLayers` weighted layers trainable and
 * everything else frozen. It runs with `training: false`, so BatchNorm uses its stored
 * statistics (inference mode) and dropout is off, while gradients still reach the
 * trainable kernels through the layers' ops. Needs conv gradient kernels (native, cpu).
 */
export function buildFullNet(
  base: LayersModel,
  featureLayer: string,
  unfreezeLayers: number,
): FullNet {
  const layers = base.layers;
  const top = layers.findIndex((l) => l.name === featureLayer);
  const trainable: string[] = [];
  for (let i = top; i >= 0 && trainable.length < unfreezeLayers; i--) {
    const l = layers[i];
    if (l && WEIGHTED.has(l.getClassName())) trainable.push(l.name);
  }
  trainable.reverse();
  const microBatch = microBatchFor(layers, top);
  const chosen = new Set(trainable);
  for (const l of layers) l.trainable = chosen.has(l.name);
  const features = functionalModel({
    inputs: base.inputs,
    outputs: base.getLayer(featureLayer).output as SymbolicTensor,
  });
  const variables = trainable.flatMap((name) =>
    // LayerVariable.read() is the tf.Variable the layer computes with.
    base.getLayer(name).trainableWeights.map((w) => w.read() as tf.Variable),
  );
  return {
    trainable,
    variables,
    microBatch,
    forward: (x) => {
      const out = features.apply(x, { training: false }) as tf.Tensor;
      const pooled = out.rank === 4 ? tf.mean(out, [1, 2]) : out;
      return tf.reshape(pooled, [x.shape[0], -1]) as tf.Tensor2D;
    },
    weights: () => layerWeights(base, trainable),
    load: (w) => applyLayerWeights(base, w),
    dispose: () => base.dispose(),
  };
}

/** Activations kept for the backward pass may use about this much memory per micro-batch. */
export const ACTIVATION_BUDGET_BYTES = 1 << 30;

/**
 * Items per forward/backward pass so that the activations taped for the gradient (every
 * layer's float32 output up to the feature layer, counted twice for their gradients) stay
 * within ACTIVATION_BUDGET_BYTES: 6 for MobileNetV2 at 224 × 224.
 */
export function microBatchFor(layers: LayersModel['layers'], top: number): number {
  let perItem = 0;
  for (const l of layers.slice(0, top + 1)) {
    const shape = l.outputShape as number[] | number[][];
    const shapes = Array.isArray(shape[0]) ? (shape as number[][]) : [shape as number[]];
    for (const s of shapes) perItem += s.slice(1).reduce((a, b) => a * (b ?? 1), 1) * 4 * 2;
  }
  return Math.max(1, Math.min(64, Math.floor(ACTIVATION_BUDGET_BYTES / Math.max(1, perItem))));
}

/** Current weights of named layers, by the short Keras weight name (kernel, bias…). */
export function layerWeights(model: LayersModel, names: readonly string[]): TopWeights {
  const out: TopWeights = {};
  for (const name of names) {
    const entry: TopWeights[string] = {};
    for (const w of model.getLayer(name).weights) {
      const short = w.originalName.split('/').pop() ?? w.originalName;
      entry[short] = {
        shape: w.shape.map(Number),
        data: (w.read().dataSync() as Float32Array).slice(),
      };
    }
    out[name] = entry;
  }
  return out;
}

/** Writes fine-tuned weights back into a model's layers (matched by layer and weight name). */
export function applyLayerWeights(model: LayersModel, weights: TopWeights): void {
  for (const [name, entry] of Object.entries(weights)) {
    const layer = model.getLayer(name);
    const values = layer.weights.map((w) => {
      const short = w.originalName.split('/').pop() ?? w.originalName;
      const given = entry[short];
      return given ? tf.tensor(given.data, given.shape) : w.read().clone();
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}
