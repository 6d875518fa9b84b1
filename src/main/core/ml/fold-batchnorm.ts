import * as tf from '@tensorflow/tfjs-core';
import { LayersModel, model as functionalModel } from '@tensorflow/tfjs-layers';

/** One entry of a layer's inbound node: [layer name, node index, tensor index, kwargs]. */
type TensorRef = [string, number, number, ...unknown[]];

interface LayerEntry {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inboundNodes: TensorRef[][];
}

interface GraphConfig {
  name?: string;
  layers: LayerEntry[];
  inputLayers: TensorRef[];
  outputLayers: TensorRef[];
}

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D']);

/** Options of foldBatchNorm. */
export interface FoldOptions {
  /** Layers that must stay as they are (neither removed nor changed), e.g. the feature layer. */
  keep?: readonly string[];
}

/** What foldBatchNorm did: the new model (the caller owns it) and the layers it merged. */
export interface FoldResult {
  model: LayersModel;
  /** BatchNormalization layers folded into the convolution before them. */
  folded: number;
  /** ReLU / ReLU6 layers merged into the convolution before them as its activation. */
  fused: number;
}

/** False when OCELLUS_FOLD_BN=0 asks for the unfolded network (for comparisons). */
export function foldBatchNormEnabled(): boolean {
  return process.env['OCELLUS_FOLD_BN'] !== '0';
}

/**
 * Returns an equivalent functional model in which each BatchNormalization fed only by a
 * linear Conv2D / DepthwiseConv2D is folded into that convolution's kernel and bias, and a
 * ReLU / ReLU6 right after such a convolution becomes its activation. Fewer ops per image
 * for TF.js; layer names are kept. The input model is left untouched; when nothing folds the
 * result is still a new model, so the caller can always dispose both.
 */
export function foldBatchNorm(source: LayersModel, options: FoldOptions = {}): FoldResult {
  const keep = new Set(options.keep ?? []);
  // A functional view gives Sequential models the same inbound-node config as functional ones.
  const graph = functionalModel({ inputs: source.inputs, outputs: source.outputs });
  const config = structuredClone(graph.getConfig()) as unknown as GraphConfig;
  const byName = new Map(config.layers.map((l) => [l.name, l]));
  const removed = new Set<string>();
  const weights = new Map<string, tf.Tensor[]>();
  const created: tf.Tensor[] = [];

  const consumers = (name: string): number => {
    let n = config.outputLayers.filter((r) => r[0] === name).length;
    for (const l of config.layers) {
      if (removed.has(l.name)) continue;
      for (const node of l.inboundNodes) n += node.filter((r) => r[0] === name).length;
    }
    return n;
  };
  // The single-input producer of `layer`, when it is a linear convolution only `layer` reads.
  const linearConvBefore = (layer: LayerEntry): LayerEntry | null => {
    if (keep.has(layer.name) || layer.inboundNodes.length !== 1) return null;
    const refs = layer.inboundNodes[0] ?? [];
    const ref = refs[0];
    if (refs.length !== 1 || !ref || ref[1] !== 0 || ref[2] !== 0) return null;
    const conv = byName.get(ref[0]);
    if (!conv || keep.has(conv.name) || !CONVS.has(conv.className)) return null;
    if (conv.inboundNodes.length !== 1 || conv.config['activation'] !== 'linear') return null;
    if ((conv.config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return null;
    return consumers(conv.name) === 1 ? conv : null;
  };
  // Readers of `from` (its only output) read `to` instead; `from` leaves the graph.
  const bypass = (from: string, to: string): void => {
    const swap = (r: TensorRef): void => {
      if (r[0] === from) r[0] = to;
    };
    config.outputLayers.forEach(swap);
    for (const l of config.layers) for (const node of l.inboundNodes) node.forEach(swap);
    removed.add(from);
  };
  const currentWeights = (name: string): tf.Tensor[] =>
    weights.get(name) ?? graph.getLayer(name).getWeights();

  let folded = 0;
  let fused = 0;
  try {
    for (const bn of config.layers) {
      if (bn.className !== 'BatchNormalization') continue;
      const axis = bn.config['axis'];
      if (axis !== -1 && axis !== 3) continue;
      const conv = linearConvBefore(bn);
      if (!conv) continue;
      const next = tf.tidy(() => foldInto(conv, currentWeights(conv.name), graph, bn));
      created.push(...next);
      weights.set(conv.name, next);
      conv.config['useBias'] = true;
      bypass(bn.name, conv.name);
      folded++;
    }
    for (const act of config.layers) {
      if (removed.has(act.name)) continue;
      const activation = reluKind(act);
      if (!activation) continue;
      const conv = linearConvBefore(act);
      if (!conv) continue;
      conv.config['activation'] = activation;
      bypass(act.name, conv.name);
      fused++;
    }
    const foldedConfig = { ...config, layers: config.layers.filter((l) => !removed.has(l.name)) };
    const out = LayersModel.fromConfig(
      LayersModel,
      foldedConfig as unknown as tf.serialization.ConfigDict,
      undefined,
      // Every weight is set below, so skip the random initialisation.
      true,
    );
    if (!(out instanceof LayersModel)) throw new Error('Folded config did not build a model');
    for (const layer of out.layers) {
      const w = currentWeights(layer.name);
      if (w.length > 0) layer.setWeights(w);
    }
    return { model: out, folded, fused };
  } finally {
    // setWeights assigns, and TF.js variables keep their own reference.
    tf.dispose(created);
  }
}

// 'relu' / 'relu6' when `layer` is exactly one of these (Keras ReLU or Activation layers).
function reluKind(layer: LayerEntry): 'relu' | 'relu6' | null {
  if (layer.className === 'Activation') {
    const a = layer.config['activation'];
    return a === 'relu' || a === 'relu6' ? a : null;
  }
  if (layer.className !== 'ReLU') return null;
  const max = layer.config['maxValue'];
  if (max === undefined || max === null) return 'relu';
  return max === 6 ? 'relu6' : null;
}

// New [kernel, bias] of `conv` with `bn` applied after it.
function foldInto(
  conv: LayerEntry,
  convWeights: tf.Tensor[],
  graph: LayersModel,
  bn: LayerEntry,
): tf.Tensor[] {
  const [kernel, bias] = convWeights;
  if (!kernel) throw new Error(`${conv.name} has no kernel`);
  const byRole = new Map<string, tf.Tensor>();
  const bnLayer = graph.getLayer(bn.name);
  const bnValues = bnLayer.getWeights();
  bnLayer.weights.forEach((v, i) => {
    const role = v.originalName.split('/').pop() ?? '';
    const value = bnValues[i];
    if (value) byRole.set(role, value);
  });
  const mean = byRole.get('moving_mean');
  const variance = byRole.get('moving_variance');
  if (!mean || !variance) throw new Error(`${bn.name} has no moving statistics`);
  const channels = mean.shape[0] ?? 0;
  const gamma = byRole.get('gamma') ?? tf.ones([channels]);
  const beta = byRole.get('beta') ?? tf.zeros([channels]);
  const epsilon = Number(bn.config['epsilon'] ?? 1e-3);
  const scale = tf.div(gamma, tf.sqrt(tf.add(variance, epsilon)));
  // Depthwise output channel c·multiplier + m comes from kernel[..., c, m].
  const perOut =
    conv.className === 'DepthwiseConv2D'
      ? tf.reshape(scale, [kernel.shape[2] ?? 0, kernel.shape[3] ?? 0])
      : scale;
  const newKernel = tf.mul(kernel, perOut);
  const newBias = tf.add(beta, tf.mul(tf.sub(bias ?? tf.zeros([channels]), mean), scale));
  return [newKernel, newBias];
}
