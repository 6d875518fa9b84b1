import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import {
  loadLayersModel,
  model as functionalModel,
  type LayersModel,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../shared/errors';
import { diskModelHandler, modelFormat } from './model-io';
import { foldBatchNorm, foldBatchNormEnabled } from './fold-batchnorm';
import { readSavedModelDescriptor } from './saved-model-files';

/** A network cut at its feature layer: images in, one embedding per image out. */
export interface FeatureModel {
  /** Embedding length. */
  readonly size: number;
  /** The layer or node the embedding comes from (reported to users). */
  readonly featureLayer: string;
  readonly inputSize: [number, number];
  /** [n, h, w, 3] normalised input → [n, size] embeddings. The caller disposes both. */
  embed(batch: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/**
 * Loads a Layers or Graph model from disk and cuts it at its feature output. For Layers
 * models `featureOutput` is a layer name or 'auto' (the last global pooling, else the last
 * spatial map, pooled); for Graph models an output node name or 'default'.
 */
export async function loadFeatureModel(
  modelJsonPath: string,
  featureOutput = 'auto',
): Promise<FeatureModel> {
  if (!fs.existsSync(modelJsonPath)) {
    throw new OcellusError('NOT_FOUND', `Model file not found: ${modelJsonPath}`);
  }
  const format = modelFormat(modelJsonPath);
  if (format === 'savedmodel') return loadSavedModelBase(modelJsonPath);
  return format === 'graph'
    ? loadGraphFeatures(modelJsonPath, featureOutput)
    : loadLayersFeatures(modelJsonPath, featureOutput);
}

/** Picks the feature layer of a Keras-style model: see loadFeatureModel. */
export function findFeatureLayer(
  model: LayersModel,
  featureOutput: string,
): { name: string; output: SymbolicTensor } {
  if (featureOutput !== 'auto') {
    try {
      const layer = model.getLayer(featureOutput);
      return { name: layer.name, output: layer.output as SymbolicTensor };
    } catch {
      throw new OcellusError('INVALID_ARGUMENT', `The model has no layer named ${featureOutput}`);
    }
  }
  const layers = model.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer && /^Global(Average|Max)Pooling2D$/.test(layer.getClassName())) {
      return { name: layer.name, output: layer.output as SymbolicTensor };
    }
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    const out = layer?.output;
    if (layer && out && !Array.isArray(out) && out.shape.length === 4)
      return { name: layer.name, output: out };
  }
  // No spatial map: the input of the last Dense layer (the classifier) is the embedding.
  for (let i = layers.length - 1; i > 0; i--) {
    if (layers[i]?.getClassName() === 'Dense') {
      const prev = layers[i - 1];
      if (prev) return { name: prev.name, output: prev.output as SymbolicTensor };
    }
  }
  throw new OcellusError(
    'UNSUPPORTED',
    'Could not find a feature layer in this model; name one explicitly',
  );
}

async function loadSavedModelBase(modelJsonPath: string): Promise<FeatureModel> {
  const d = readSavedModelDescriptor(modelJsonPath);
  if (!d)
    throw new OcellusError('INVALID_ARGUMENT', `${modelJsonPath} is not a SavedModel descriptor`);
  // Loaded on demand: it needs the native backend, which other models never do.
  const { loadSavedModelFeatures } = await import('./saved-model');
  return loadSavedModelFeatures(path.join(path.dirname(modelJsonPath), d.savedModel.dir), d);
}

async function loadLayersFeatures(
  modelJsonPath: string,
  featureOutput: string,
): Promise<FeatureModel> {
  const loaded = await loadLayersModel(diskModelHandler(modelJsonPath));
  let full = loaded;
  if (foldBatchNormEnabled()) {
    // Fewer, fused ops per image; the feature layer itself stays as it is.
    full = foldBatchNorm(loaded, { keep: [findFeatureLayer(loaded, featureOutput).name] }).model;
    loaded.dispose();
  }
  const { name, output } = findFeatureLayer(full, featureOutput);
  const cut = functionalModel({ inputs: full.inputs, outputs: output });
  const inShape = full.inputs[0]?.shape ?? [];
  const spatial = output.shape.length === 4;
  const size = Number(output.shape[output.shape.length - 1]);
  return {
    size,
    featureLayer: name,
    inputSize: [Number(inShape[1] ?? 224), Number(inShape[2] ?? 224)],
    embed: (batch) =>
      tf.tidy(() => {
        const out = cut.predict(batch) as tf.Tensor;
        return (
          spatial ? tf.mean(out, [1, 2]) : tf.reshape(out, [batch.shape[0], -1])
        ) as tf.Tensor2D;
      }),
    dispose: () => full.dispose(),
  };
}

async function loadGraphFeatures(
  modelJsonPath: string,
  featureOutput: string,
): Promise<FeatureModel> {
  const graph: GraphModel = await loadGraphModel(diskModelHandler(modelJsonPath));
  const outputName =
    featureOutput === 'default' || featureOutput === 'auto' ? undefined : featureOutput;
  const inShape = graph.inputs[0]?.shape ?? [];
  const run = (batch: tf.Tensor4D): tf.Tensor2D =>
    tf.tidy(() => {
      const raw = graph.execute(batch, outputName);
      const out = Array.isArray(raw) ? raw[0] : raw;
      if (!out) throw new OcellusError('UNSUPPORTED', 'The graph model produced no output');
      return (
        out.rank === 4 ? tf.mean(out, [1, 2]) : tf.reshape(out, [batch.shape[0], -1])
      ) as tf.Tensor2D;
    });
  const h = Number(inShape[1] ?? 224) > 0 ? Number(inShape[1] ?? 224) : 224;
  const w = Number(inShape[2] ?? 224) > 0 ? Number(inShape[2] ?? 224) : 224;
  const probe = run(tf.zeros([1, h, w, 3]) as tf.Tensor4D);
  const size = probe.shape[1];
  probe.dispose();
  return {
    size,
    featureLayer: outputName ?? graph.outputNodes[0] ?? 'output',
    inputSize: [h, w],
    embed: run,
    dispose: () => graph.dispose(),
  };
}
