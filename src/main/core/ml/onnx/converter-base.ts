/**
 * What every layer converter shares: the value and layer types, weight access, TF 'same'
 * padding as explicit pads, and Keras activations. Rank-4 values are NCHW inside the graph.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { GraphBuilder } from './onnx-graph';

/** A converted value: its ONNX name and its Keras shape (batch first, NHWC for rank 4). */
export interface Value {
  name: string;
  shape: (number | null)[];
}

/** What a converter sees of a Keras layer. */
export interface LayerView {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Weights by their short name (kernel, bias, gamma, moving_mean…). */
  weights: Map<string, Tensor>;
  outputShape: (number | null)[];
}

export interface ConvertContext {
  g: GraphBuilder;
  /** True when nothing but the next layer reads this value (so it may be rewritten). */
  soleUse(value: string): boolean;
}

export type LayerConverter = (ctx: ConvertContext, layer: LayerView, inputs: Value[]) => string;

/** A layer the converter cannot express; carries its name and class for the report. */
export class UnsupportedLayer extends Error {
  constructor(
    readonly layerName: string,
    readonly className: string,
    detail: string,
  ) {
    super(`${layerName} (${className}): ${detail}`);
  }
}

export const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];

/** The short name of a layer weight: 'block_1/depthwise_kernel:0' → 'depthwise_kernel'. */
export function shortWeightName(name: string): string {
  return (name.split('/').pop() ?? name).replace(/:\d+$/, '');
}

/** A copy of a weight's values. */
export function data(t: Tensor | undefined): Float32Array {
  if (!t) throw new Error('missing weight');
  // A copy: dataSync may return the backend's own buffer, and BatchNorm folding writes into it.
  return Float32Array.from(t.dataSync());
}

/** A weight the layer must have. */
export function need(layer: LayerView, key: string): Tensor {
  const t = layer.weights.get(key);
  if (!t) throw new UnsupportedLayer(layer.name, layer.className, `no ${key} weight`);
  return t;
}

/** A Keras [a, b] or scalar argument as a pair. */
export function pair(v: unknown, fallback: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && typeof v[0] === 'number') {
    const a = v[0];
    const b = typeof v[1] === 'number' ? v[1] : a;
    return [a, b];
  }
  return [fallback, fallback];
}

/** Refuses channels-first layers (TF.js models are NHWC). */
export function channelsLast(layer: LayerView): void {
  const f = layer.config['dataFormat'];
  if (f !== undefined && f !== 'channelsLast') {
    throw new UnsupportedLayer(layer.name, layer.className, `data format ${String(f)}`);
  }
}

/**
 * Explicit ONNX pads [top, left, bottom, right] for Keras padding. TF's 'same' puts the odd
 * pixel after (bottom/right), which matters for stride 2 on even sizes.
 */
export function convPads(
  layer: LayerView,
  input: Value,
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number],
): number[] {
  const padding = layer.config['padding'];
  if (padding === 'valid' || padding === undefined) return [0, 0, 0, 0];
  if (padding !== 'same') {
    throw new UnsupportedLayer(layer.name, layer.className, `padding ${String(padding)}`);
  }
  const before: number[] = [];
  const after: number[] = [];
  for (let a = 0; a < 2; a++) {
    const size = input.shape[a + 1];
    if (typeof size !== 'number') {
      throw new UnsupportedLayer(layer.name, layer.className, "'same' padding on a dynamic size");
    }
    const s = strides[a] ?? 1;
    const k = ((kernel[a] ?? 1) - 1) * (dilation[a] ?? 1) + 1;
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + k - size, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

/** Appends a Keras activation by name; 'linear' adds nothing. */
export function activation(
  ctx: ConvertContext,
  layer: LayerView,
  input: string,
  name: unknown,
  rank: number,
): string {
  const act = String(name ?? 'linear')
    .toLowerCase()
    .replace(/_/g, '');
  const g = ctx.g;
  const base = `${layer.name}/${act}`;
  switch (act) {
    case 'linear':
      return input;
    case 'relu':
      return g.op('Relu', [input], base);
    case 'relu6':
      return g.op('Clip', [input, g.scalar('zero', 0), g.scalar('six', 6)], base);
    case 'sigmoid':
      return g.op('Sigmoid', [input], base);
    case 'tanh':
      return g.op('Tanh', [input], base);
    case 'softmax':
      // Keras softmax is over the last axis: channels, which is axis 1 of an NCHW value.
      return g.op('Softmax', [input], base, { axis: rank === 4 ? 1 : -1 });
    case 'swish':
    case 'silu':
      return g.op('Mul', [input, g.op('Sigmoid', [input], `${base}/sig`)], base);
    case 'hardsigmoid':
      return g.op('HardSigmoid', [input], base, { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    case 'hardswish':
      return g.op('HardSwish', [input], base);
    case 'elu':
      return g.op('Elu', [input], base);
    case 'selu':
      return g.op('Selu', [input], base);
    case 'softplus':
      return g.op('Softplus', [input], base);
    case 'softsign':
      return g.op('Softsign', [input], base);
    default:
      throw new UnsupportedLayer(layer.name, layer.className, `activation ${act}`);
  }
}

/** The single input of a one-input layer. */
export function only(layer: LayerView, inputs: Value[]): Value {
  const v = inputs[0];
  if (inputs.length !== 1 || !v) {
    throw new UnsupportedLayer(layer.name, layer.className, `${inputs.length} inputs`);
  }
  return v;
}
