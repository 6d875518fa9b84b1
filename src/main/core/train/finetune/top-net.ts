import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { OcellusError } from '../../../../shared/errors';
import { conv } from './conv-ops';
import { fastMatMul } from './fast-matmul';

/** Layer classes that carry weights a fine-tune can train. */
const WEIGHTED = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense']);

/** One layer between the cut and the feature output, top of the base. */
export interface TopLayerPlan {
  name: string;
  kind: string;
  /** Weighted layers only: whether this run trains it. */
  trains: boolean;
  reason: string | null;
}

/** Where a Layers model is cut, and what trains above the cut. */
export interface CutPlan {
  /** Layer whose output is cached; the top starts right after it. */
  cutLayer: string;
  /** [h, w, c] of the cached activation. */
  cutShape: number[];
  /** Every layer of the top, bottom first. */
  top: TopLayerPlan[];
  /** Weighted layers that train. */
  trainable: string[];
  /** The layer (and why) that stops training lower, when the backend cannot train it. */
  limitedBy: string | null;
}

interface Inbound {
  inboundNodes: { inboundLayers: Layer[] }[];
}

function inputsOf(layer: Layer): string[] {
  const node = (layer as unknown as Inbound).inboundNodes[0];
  return node ? node.inboundLayers.map((l) => l.name) : [];
}

function config(layer: Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

function strides(layer: Layer): number[] {
  const s = config(layer)['strides'];
  return Array.isArray(s) ? (s as number[]) : [1, 1];
}

/**
 * The kernels a backend lacks for training a layer (conv gradients), or null when its
 * gradient can be formed here: 1×1 convolutions become matrix products, and stride-1
 * k×k and depthwise convolutions a sum of shifted slices, whose gradients every backend has.
 */
function untrainableReason(layer: Layer, backend: string): string | null {
  const cls = layer.getClassName();
  if (cls === 'Dense') return null;
  const [sy, sx] = strides(layer);
  if (sy === 1 && sx === 1) {
    const mult = config(layer)['depthMultiplier'];
    if (cls === 'DepthwiseConv2D' && typeof mult === 'number' && mult !== 1) {
      return hasKernel('DepthwiseConv2dNativeBackpropFilter', backend)
        ? null
        : `depth multiplier ${mult}: no depthwise gradient kernels on ${backend}`;
    }
    return null;
  }
  const kernel = cls === 'Conv2D' ? 'Conv2DBackpropFilter' : 'DepthwiseConv2dNativeBackpropFilter';
  return hasKernel(kernel, backend)
    ? null
    : `stride ${sy}: the ${backend} backend has no ${kernel} kernel`;
}

function hasKernel(name: string, backend: string): boolean {
  return tf.getKernel(name, backend) !== undefined;
}

/**
 * Cuts `model` below its top `unfreezeLayers` weighted layers (counted down from the
 * feature layer). The cut snaps down to the nearest single tensor every path passes
 * through (so a residual block is never split); layers the backend cannot train are
 * reported and kept frozen, and so is everything below them (no gradient passes).
 */
export function planCut(
  model: LayersModel,
  featureLayer: string,
  unfreezeLayers: number,
  backend: string,
): CutPlan {
  const layers = model.layers;
  const index = new Map(layers.map((l, i) => [l.name, i]));
  const top = index.get(featureLayer);
  if (top === undefined) throw new OcellusError('INVALID_ARGUMENT', `No layer ${featureLayer}`);
  const weighted: number[] = [];
  for (let i = top; i >= 0 && weighted.length < unfreezeLayers; i--) {
    const l = layers[i];
    if (l && WEIGHTED.has(l.getClassName())) weighted.push(i);
  }
  // Nothing below a layer the backend cannot train learns, so the cut goes just under the
  // lowest layer that can: a smaller cache, and no frozen layers run on every step.
  const blockedAt = weighted.findIndex((i) => {
    const l = layers[i];
    return l !== undefined && untrainableReason(l, backend) !== null;
  });
  const blockedLayer = blockedAt > 0 ? layers[weighted[blockedAt] ?? -1] : undefined;
  const blocked0 = blockedLayer
    ? `${blockedLayer.name}: ${untrainableReason(blockedLayer, backend) ?? ''}`
    : null;
  if (blockedAt > 0) weighted.splice(blockedAt);
  const lowest = weighted[weighted.length - 1];
  if (lowest === undefined) {
    throw new OcellusError('INVALID_ARGUMENT', 'The base has no weighted layer to fine-tune');
  }
  // lastUse[k]: the highest layer reading layer k's output. A cut after layer i is a single
  // tensor when nothing above i reads anything below i.
  const lastUse = layers.map(() => -1);
  layers.forEach((l, j) => {
    for (const name of inputsOf(l)) {
      const k = index.get(name);
      if (k !== undefined) lastUse[k] = Math.max(lastUse[k] ?? -1, j);
    }
  });
  let cut = -1;
  let reach = -1;
  for (let i = 0; i < lowest; i++) {
    const out = layers[i]?.output as SymbolicTensor | undefined;
    if (reach <= i && out && !Array.isArray(out) && out.shape.length === 4) cut = i;
    reach = Math.max(reach, lastUse[i] ?? -1);
  }
  const cutLayer = layers[cut];
  if (!cutLayer || cut === 0) {
    throw new OcellusError(
      'UNSUPPORTED',
      `Could not cut ${model.name} below its top ${unfreezeLayers} layers; unfreeze fewer`,
    );
  }
  const wanted = new Set(weighted);
  const plan: TopLayerPlan[] = [];
  // Walk top-down: a layer that cannot pass gradients freezes everything beneath it.
  let blocked: string | null = null;
  for (let i = top; i > cut; i--) {
    const l = layers[i];
    if (!l) continue;
    const kind = l.getClassName();
    if (!WEIGHTED.has(kind)) {
      plan.push({ name: l.name, kind, trains: false, reason: null });
      continue;
    }
    const own = untrainableReason(l, backend);
    let reason: string | null = null;
    if (!wanted.has(i)) reason = 'frozen (below the unfrozen layers)';
    else if (blocked) reason = `frozen: no gradient passes ${blocked}`;
    else if (own) reason = own;
    if (own && !blocked) blocked = l.name;
    plan.push({ name: l.name, kind, trains: reason === null, reason });
  }
  plan.reverse();
  const shape = (cutLayer.output as SymbolicTensor).shape.slice(1).map(Number);
  return {
    cutLayer: cutLayer.name,
    cutShape: shape,
    top: plan,
    trainable: plan.filter((p) => p.trains).map((p) => p.name),
    limitedBy: blocked0,
  };
}

/** Weights of a top network, by layer then weight name; what a run keeps. */
export type TopWeights = Record<string, Record<string, { shape: number[]; data: Float32Array }>>;

/** The top of a base as plain tf ops: activations at the cut in, pooled features out. */
export interface TopNet {
  /** Variables the optimiser updates (of trainable layers only). */
  readonly variables: tf.Variable[];
  /** [n, h, w, c] activations → [n, features]. Inference-mode BatchNorm, no dropout. */
  forward(x: tf.Tensor4D): tf.Tensor2D;
  /** Current weights of the trainable layers. */
  weights(): TopWeights;
  /** Sets trainable layers' weights (as `weights()` gives them). */
  load(weights: TopWeights): void;
  dispose(): void;
}

type Op = (inputs: tf.Tensor[]) => tf.Tensor;

/**
 * Rebuilds the layers above the cut from their weights, so they train with kernels every
 * backend has: convolutions as matrix products or shifted-slice sums, BatchNorm folded to a
 * fixed per-channel affine (inference mode, its statistics never change). `initial`
 * replaces the base's weights (a fine-tuned run's top).
 */
export function buildTopNet(
  model: LayersModel,
  plan: CutPlan,
  featureLayer: string,
  initial?: TopWeights,
): TopNet {
  const trainable = new Set(plan.trainable);
  const variables: tf.Variable[] = [];
  const owned: tf.Tensor[] = [];
  const named = new Map<string, Map<string, tf.Tensor>>();
  const ops: { name: string; inputs: string[]; op: Op }[] = [];
  for (const p of plan.top) {
    const layer = model.getLayer(p.name);
    const weights = new Map<string, tf.Tensor>();
    for (const w of layer.weights) {
      const short = w.originalName.split('/').pop() ?? w.originalName;
      const given = initial?.[p.name]?.[short];
      const value = given ? tf.tensor(given.data, given.shape) : w.read().clone();
      const t = trainable.has(p.name) ? tf.variable(value, true) : value;
      if (t !== value) value.dispose();
      if (t instanceof tf.Variable) variables.push(t);
      else owned.push(t);
      weights.set(short, t);
    }
    named.set(p.name, weights);
    ops.push({ name: p.name, inputs: inputsOf(layer), op: layerOp(layer, weights) });
    // Derived constants (folded BatchNorm) are owned too.
    for (const [k, t] of weights) if (k.startsWith('__')) owned.push(t);
  }
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    const values = new Map<string, tf.Tensor>([[plan.cutLayer, x]]);
    let last: tf.Tensor = x;
    for (const o of ops) {
      const ins = o.inputs.map((n) => {
        const v = values.get(n);
        if (!v) throw new OcellusError('UNSUPPORTED', `${o.name} reads ${n}, below the cut`);
        return v;
      });
      last = o.op(ins);
      values.set(o.name, last);
      if (o.name === featureLayer) break;
    }
    if (last.rank === 4) last = tf.mean(last, [1, 2]);
    return tf.reshape(last, [x.shape[0], -1]) as tf.Tensor2D;
  };
  return {
    variables,
    forward,
    weights: () => {
      const out: TopWeights = {};
      for (const name of plan.trainable) {
        const ws = named.get(name);
        if (!ws) continue;
        out[name] = {};
        for (const [k, t] of ws) {
          if (k.startsWith('__')) continue;
          out[name][k] = { shape: t.shape, data: (t.dataSync() as Float32Array).slice() };
        }
      }
      return out;
    },
    load: (given) => {
      for (const [layer, entry] of Object.entries(given)) {
        for (const [k, w] of Object.entries(entry)) {
          const t = named.get(layer)?.get(k);
          if (t instanceof tf.Variable) tf.tidy(() => t.assign(tf.tensor(w.data, w.shape)));
        }
      }
    },
    dispose: () => tf.dispose([...variables, ...owned]),
  };
}

function activation(name: unknown): (x: tf.Tensor) => tf.Tensor {
  switch (name ?? 'linear') {
    case 'linear':
      return (x) => x;
    case 'relu':
      return (x) => tf.relu(x);
    case 'relu6':
      return (x) => tf.relu6(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'swish':
      return (x) => tf.mul(x, tf.sigmoid(x));
    default:
      throw new OcellusError('UNSUPPORTED', `Activation ${String(name)} above the cut`);
  }
}

// eslint-disable-next-line max-lines-per-function -- a case per layer kind, each a few lines.
function layerOp(layer: Layer, w: Map<string, tf.Tensor>): Op {
  const cfg = config(layer);
  const cls = layer.getClassName();
  const first = (ins: tf.Tensor[]) => {
    const x = ins[0];
    if (!x) throw new OcellusError('UNSUPPORTED', `${layer.name} has no input`);
    return x;
  };
  const bias = w.get('bias');
  const act = activation(cfg['activation']);
  const need = (k: string) => {
    const t = w.get(k);
    if (!t) throw new OcellusError('UNSUPPORTED', `${layer.name} has no ${k} weight`);
    return t;
  };
  switch (cls) {
    case 'Conv2D': {
      const kernel = need('kernel') as tf.Tensor4D;
      const same = cfg['padding'] === 'same';
      return (ins) => {
        const y = conv(first(ins) as tf.Tensor4D, kernel, strides(layer), same, false);
        return act(bias ? tf.add(y, bias) : y);
      };
    }
    case 'DepthwiseConv2D': {
      const kernel = need('depthwise_kernel') as tf.Tensor4D;
      const same = cfg['padding'] === 'same';
      return (ins) => {
        const y = conv(first(ins) as tf.Tensor4D, kernel, strides(layer), same, true);
        return act(bias ? tf.add(y, bias) : y);
      };
    }
    case 'Dense': {
      const kernel = need('kernel') as tf.Tensor2D;
      return (ins) => {
        const x = first(ins);
        const flat = tf.reshape(x, [-1, x.shape[x.rank - 1] ?? 0]) as tf.Tensor2D;
        const y = fastMatMul(flat, kernel);
        return act(bias ? tf.add(y, bias) : y);
      };
    }
    case 'BatchNormalization': {
      const eps = typeof cfg['epsilon'] === 'number' ? cfg['epsilon'] : 1e-3;
      const mean = need('moving_mean');
      const variance = need('moving_variance');
      const gamma = w.get('gamma');
      const beta = w.get('beta');
      // Inference mode: a fixed affine from the stored statistics.
      const scale = tf.tidy(() => {
        const s = tf.rsqrt(tf.add(variance, eps));
        return gamma ? tf.mul(s, gamma) : s;
      });
      const shift = tf.tidy(() => {
        const m = tf.neg(tf.mul(mean, scale));
        return beta ? tf.add(m, beta) : m;
      });
      w.set('__scale', scale);
      w.set('__shift', shift);
      return (ins) => tf.add(tf.mul(first(ins), scale), shift);
    }
    case 'ReLU': {
      const max = cfg['maxValue'];
      return (ins) =>
        typeof max === 'number' ? tf.clipByValue(first(ins), 0, max) : tf.relu(first(ins));
    }
    case 'Activation':
      return (ins) => act(first(ins));
    case 'Add':
      return (ins) => tf.addN(ins);
    case 'Multiply':
      return (ins) => ins.slice(1).reduce((a, b) => tf.mul(a, b), first(ins));
    case 'ZeroPadding2D': {
      // Keras stores [[top, bottom], [left, right]] (or one number / one pair).
      const pad = cfg['padding'];
      const pair = (v: unknown): [number, number] =>
        Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];
      const [rows, cols] = Array.isArray(pad)
        ? [pair(pad[0]), pair(pad[1] ?? pad[0])]
        : [pair(pad), pair(pad)];
      return (ins) => tf.pad(first(ins) as tf.Tensor4D, [[0, 0], rows, cols, [0, 0]]) as tf.Tensor;
    }
    case 'Dropout':
    case 'SpatialDropout2D':
      return first;
    case 'Flatten':
      return (ins) => {
        const x = first(ins);
        return tf.reshape(x, [x.shape[0] ?? -1, -1]);
      };
    case 'GlobalAveragePooling2D':
      return (ins) => tf.mean(first(ins), [1, 2]);
    case 'AveragePooling2D':
      return (ins) => {
        const x = first(ins) as tf.Tensor4D;
        const pool = cfg['poolSize'];
        const full = Array.isArray(pool) && pool[0] === x.shape[1] && pool[1] === x.shape[2];
        if (!full) throw new OcellusError('UNSUPPORTED', `${layer.name}: partial pooling`);
        return tf.mean(x, [1, 2], true);
      };
    default:
      throw new OcellusError(
        'UNSUPPORTED',
        `Fine-tuning cannot rebuild ${layer.name} (${cls}); unfreeze fewer layers`,
      );
  }
}
