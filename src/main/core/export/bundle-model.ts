import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../shared/errors';
import type { EmbedModel } from '../ml/embedder';
import { findFeatureLayer } from '../ml/feature-model';
import { diskModelHandler, modelFormat } from '../ml/model-io';
import type { HeadWeights } from '../model/head';

/**
 * What a run adds to its base network. Feature-mode runs carry only the head; fine-tuned
 * runs will also carry new weights for top layers of the base (by layer name, in the
 * order of `layer.getWeights()`), applied before the head is attached.
 */
export interface TrainedParts {
  head: HeadWeights;
  baseOverrides?: Map<string, { shape: number[]; values: Float32Array }[]>;
}

/**
 * The whole classifier as one Layers model: the base cut at its feature layer, global
 * average pooling when that layer is a spatial map (as the embeddings were computed), then
 * the head as Dense ReLU → Dense softmax. Image tensor in, class probabilities out.
 */
export async function buildClassifier(
  model: EmbedModel,
  parts: TrainedParts,
): Promise<tfl.LayersModel> {
  if (modelFormat(model.modelJson) !== 'layers') {
    throw new OcellusError(
      'UNSUPPORTED',
      'Model bundles need a Layers base model (model.json in layers-model format); this base is a Graph model',
    );
  }
  const base = await loadBase(model, parts);
  const { output } = findFeatureLayer(base, model.featureOutput);
  const { head } = parts;
  let x: tfl.SymbolicTensor = output;
  if (output.shape.length === 4) {
    x = tfl.layers.globalAveragePooling2d({ name: 'ocellus_pool' }).apply(x) as tfl.SymbolicTensor;
  } else if (output.shape.length !== 2) {
    x = tfl.layers.flatten({ name: 'ocellus_flatten' }).apply(x) as tfl.SymbolicTensor;
  }
  const size = Number(x.shape[x.shape.length - 1]);
  if (size !== head.dim) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `The run's head expects ${head.dim} features but the base gives ${size}`,
    );
  }
  const hidden = tfl.layers.dense({
    units: head.hidden,
    activation: 'relu',
    name: 'ocellus_hidden',
  });
  const classes = tfl.layers.dense({
    units: head.classes,
    activation: 'softmax',
    name: 'ocellus_classes',
  });
  const probs = classes.apply(hidden.apply(x)) as tfl.SymbolicTensor;
  const whole = tfl.model({ inputs: base.inputs, outputs: probs, name: 'ocellus_classifier' });
  hidden.setWeights([tf.tensor2d(head.w1, [head.dim, head.hidden]), tf.tensor1d(head.b1)]);
  classes.setWeights([tf.tensor2d(head.w2, [head.hidden, head.classes]), tf.tensor1d(head.b2)]);
  return whole;
}

/** The run's base network: the Layers model with any fine-tuned weights applied. */
export async function loadBase(
  model: EmbedModel,
  parts: Pick<TrainedParts, 'baseOverrides'>,
): Promise<tfl.LayersModel> {
  const base = await tfl.loadLayersModel(diskModelHandler(model.modelJson));
  for (const [name, weights] of parts.baseOverrides ?? []) {
    base.getLayer(name).setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  }
  return base;
}
