/**
 * ONNX forms of Keras layers. Inside the graph every rank-4 value is NCHW (ONNX's layout for
 * Conv and pooling); values of other ranks keep the Keras layout. Layers that look at the
 * layout of a 4-D value (Flatten, Reshape, axis arguments) translate it here.
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

const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];

/** The short name of a layer weight: 'block_1/depthwise_kernel:0' → 'depthwise_kernel'. */
export function shortWeightName(name: string): string {
  return (name.split('/').pop() ?? name).replace(/:\d+$/, '');
}

function data(t: Tensor | undefined): Float32Array {
  if (!t) throw new Error('missing weight');
  // A copy: dataSync may return the backend's own buffer, and BatchNorm folding writes into it.
  return Float32Array.from(t.dataSync());
}

function need(layer: LayerView, key: string): Tensor {
  const t = layer.weights.get(key);
  if (!t) throw new UnsupportedLayer(layer.name, layer.className, `no ${key} weight`);
  return t;
}

function pair(v: unknown, fallback: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && typeof v[0] === 'number') {
    const a = v[0];
    const b = typeof v[1] === 'number' ? v[1] : a;
    return [a, b];
  }
  return [fallback, fallback];
}

function channelsLast(layer: LayerView): void {
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

function only(layer: LayerView, inputs: Value[]): Value {
  const v = inputs[0];
  if (inputs.length !== 1 || !v) {
    throw new UnsupportedLayer(layer.name, layer.className, `${inputs.length} inputs`);
  }
  return v;
}

/** TF kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
function convKernel(t: Tensor): { dims: number[]; data: Float32Array } {
  const [kh = 1, kw = 1, cin = 1, cout = 1] = t.shape;
  const src = data(t);
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++)
          out[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o] ?? 0;
  return { dims: [cout, cin, kh, kw], data: out };
}

/** TF depthwise kernel [kh, kw, in, mult] → ONNX grouped [in·mult, 1, kh, kw]. */
function depthwiseKernel(t: Tensor): { dims: number[]; data: Float32Array } {
  const [kh = 1, kw = 1, cin = 1, mult = 1] = t.shape;
  const src = data(t);
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let m = 0; m < mult; m++)
          out[((i * mult + m) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * mult + m] ?? 0;
  return { dims: [cin * mult, 1, kh, kw], data: out };
}

function convNode(
  ctx: ConvertContext,
  layer: LayerView,
  input: Value,
  kernel: { dims: number[]; data: Float32Array },
  bias: Float32Array | null,
  group: number,
  strides: [number, number],
  padInput: boolean,
  suffix = '',
): string {
  const g = ctx.g;
  const [, , kh = 1, kw = 1] = kernel.dims;
  const dilation = pair(layer.config['dilationRate'], 1);
  const pads = padInput ? convPads(layer, input, [kh, kw], strides, dilation) : [0, 0, 0, 0];
  const inputs = [input.name, g.weight(`${layer.name}${suffix}/W`, kernel.dims, kernel.data)];
  // Always give a bias so a following BatchNorm can be folded into it.
  const cout = kernel.dims[0] ?? 1;
  inputs.push(g.weight(`${layer.name}${suffix}/B`, [cout], bias ?? new Float32Array(cout)));
  return g.op('Conv', inputs, `${layer.name}${suffix}`, {
    kernel_shape: [kh, kw],
    strides,
    dilations: dilation,
    pads,
    group,
  });
}

const conv2d: LayerConverter = (ctx, layer, inputs) => {
  channelsLast(layer);
  const input = only(layer, inputs);
  const kernel = convKernel(need(layer, 'kernel'));
  const bias = layer.config['useBias'] === false ? null : data(need(layer, 'bias'));
  const strides = pair(layer.config['strides'], 1);
  const out = convNode(ctx, layer, input, kernel, bias, 1, strides, true);
  return activation(ctx, layer, out, layer.config['activation'], 4);
};

const depthwiseConv2d: LayerConverter = (ctx, layer, inputs) => {
  channelsLast(layer);
  const input = only(layer, inputs);
  const k = need(layer, 'depthwise_kernel');
  const kernel = depthwiseKernel(k);
  const bias = layer.config['useBias'] === false ? null : data(need(layer, 'bias'));
  const strides = pair(layer.config['strides'], 1);
  const out = convNode(ctx, layer, input, kernel, bias, k.shape[2] ?? 1, strides, true);
  return activation(ctx, layer, out, layer.config['activation'], 4);
};

const separableConv2d: LayerConverter = (ctx, layer, inputs) => {
  channelsLast(layer);
  const input = only(layer, inputs);
  const dk = need(layer, 'depthwise_kernel');
  const strides = pair(layer.config['strides'], 1);
  const dw = convNode(
    ctx,
    layer,
    input,
    depthwiseKernel(dk),
    null,
    dk.shape[2] ?? 1,
    strides,
    true,
    '/dw',
  );
  const bias = layer.config['useBias'] === false ? null : data(need(layer, 'bias'));
  const pw = convKernel(need(layer, 'pointwise_kernel'));
  const out = ctx.g.op(
    'Conv',
    [
      dw,
      ctx.g.weight(`${layer.name}/pw/W`, pw.dims, pw.data),
      ctx.g.weight(
        `${layer.name}/pw/B`,
        [pw.dims[0] ?? 1],
        bias ?? new Float32Array(pw.dims[0] ?? 1),
      ),
    ],
    `${layer.name}/pw`,
    { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], group: 1 },
  );
  return activation(ctx, layer, out, layer.config['activation'], 4);
};

/** BatchNorm folded into the Conv before it when nothing else reads that Conv's output. */
const batchNorm: LayerConverter = (ctx, layer, inputs) => {
  const input = only(layer, inputs);
  const rank = input.shape.length;
  const axis = Number(layer.config['axis'] ?? -1);
  if (axis !== -1 && axis !== rank - 1) {
    throw new UnsupportedLayer(layer.name, layer.className, `axis ${axis}`);
  }
  const mean = data(need(layer, 'moving_mean'));
  const variance = data(need(layer, 'moving_variance'));
  const c = mean.length;
  const gamma = layer.weights.has('gamma')
    ? data(layer.weights.get('gamma'))
    : new Float32Array(c).fill(1);
  const beta = layer.weights.has('beta') ? data(layer.weights.get('beta')) : new Float32Array(c);
  const eps = Number(layer.config['epsilon'] ?? 1e-3);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = (gamma[i] ?? 1) / Math.sqrt((variance[i] ?? 1) + eps);
    shift[i] = (beta[i] ?? 0) - (mean[i] ?? 0) * (scale[i] ?? 1);
  }
  const g = ctx.g;
  const prev = g.producer(input.name);
  const w = prev?.op === 'Conv' ? g.initializers.get(prev.inputs[1] ?? '') : undefined;
  const b = prev?.op === 'Conv' ? g.initializers.get(prev.inputs[2] ?? '') : undefined;
  if (
    prev &&
    w &&
    b &&
    w.data instanceof Float32Array &&
    b.data instanceof Float32Array &&
    ctx.soleUse(input.name) &&
    b.data.length === c
  ) {
    const per = w.data.length / c;
    for (let o = 0; o < c; o++) {
      const s = scale[o] ?? 1;
      for (let j = 0; j < per; j++) w.data[o * per + j] = (w.data[o * per + j] ?? 0) * s;
      b.data[o] = (b.data[o] ?? 0) * s + (shift[o] ?? 0);
    }
    return input.name;
  }
  // Not after a Conv: a per-channel multiply-add, shaped to broadcast over NCHW or [N, C].
  const dims = rank === 4 ? [c, 1, 1] : [c];
  const mul = g.op(
    'Mul',
    [input.name, g.weight(`${layer.name}/scale`, dims, scale)],
    `${layer.name}/mul`,
  );
  return g.op('Add', [mul, g.weight(`${layer.name}/shift`, dims, shift)], layer.name);
};

const dense: LayerConverter = (ctx, layer, inputs) => {
  const input = only(layer, inputs);
  if (input.shape.length !== 2) {
    throw new UnsupportedLayer(layer.name, layer.className, `input of rank ${input.shape.length}`);
  }
  const k = need(layer, 'kernel');
  const units = k.shape[1] ?? 1;
  const bias =
    layer.config['useBias'] === false ? new Float32Array(units) : data(need(layer, 'bias'));
  const g = ctx.g;
  const out = g.op(
    'Gemm',
    [
      input.name,
      g.weight(`${layer.name}/W`, [...k.shape], data(k)),
      g.weight(`${layer.name}/B`, [units], bias),
    ],
    layer.name,
  );
  return activation(ctx, layer, out, layer.config['activation'], 2);
};

const reluLayer: LayerConverter = (ctx, layer, inputs) => {
  const input = only(layer, inputs);
  const max = layer.config['maxValue'];
  const slope = Number(layer.config['negativeSlope'] ?? 0);
  const threshold = Number(layer.config['threshold'] ?? 0);
  if (slope !== 0 || threshold !== 0) {
    throw new UnsupportedLayer(layer.name, layer.className, 'negative slope or threshold');
  }
  const g = ctx.g;
  if (typeof max === 'number') {
    return g.op('Clip', [input.name, g.scalar('zero', 0), g.scalar('max', max)], layer.name);
  }
  return g.op('Relu', [input.name], layer.name);
};

const activationLayer: LayerConverter = (ctx, layer, inputs) => {
  const input = only(layer, inputs);
  return activation(ctx, layer, input.name, layer.config['activation'], input.shape.length);
};

const leakyRelu: LayerConverter = (ctx, layer, inputs) => {
  const alpha = Number(layer.config['alpha'] ?? 0.3);
  return ctx.g.op('LeakyRelu', [only(layer, inputs).name], layer.name, { alpha: { float: alpha } });
};

const softmaxLayer: LayerConverter = (ctx, layer, inputs) => {
  const input = only(layer, inputs);
  const axis = Number(layer.config['axis'] ?? -1);
  if (axis !== -1 && axis !== input.shape.length - 1) {
    throw new UnsupportedLayer(layer.name, layer.className, `axis ${axis}`);
  }
  return activation(ctx, layer, input.name, 'softmax', input.shape.length);
};

function elementwise(op: 'Add' | 'Mul' | 'Sub' | 'Max' | 'Min' | 'Mean'): LayerConverter {
  return (ctx, layer, inputs) => {
    const rank = inputs[0]?.shape.length;
    if (inputs.length < 2 || inputs.some((v) => v.shape.length !== rank)) {
      throw new UnsupportedLayer(layer.name, layer.className, 'inputs of different ranks');
    }
    const names = inputs.map((v) => v.name);
    if (op === 'Mean' || op === 'Max' || op === 'Min') return ctx.g.op(op, names, layer.name);
    let acc = names[0] ?? '';
    for (let i = 1; i < names.length; i++) {
      acc = ctx.g.op(
        op,
        [acc, names[i] ?? ''],
        i === names.length - 1 ? layer.name : `${layer.name}/${i}`,
      );
    }
    return acc;
  };
}

const concatenate: LayerConverter = (ctx, layer, inputs) => {
  const rank = inputs[0]?.shape.length ?? 0;
  let axis = Number(layer.config['axis'] ?? -1);
  if (axis < 0) axis += rank;
  if (rank === 4) axis = NHWC_TO_NCHW_AXIS[axis] ?? axis;
  return ctx.g.op(
    'Concat',
    inputs.map((v) => v.name),
    layer.name,
    { axis },
  );
};

const zeroPadding: LayerConverter = (ctx, layer, inputs) => {
  channelsLast(layer);
  const input = only(layer, inputs);
  const p = layer.config['padding'];
  let t = 0,
    b = 0,
    l = 0,
    r = 0;
  if (typeof p === 'number') [t, b, l, r] = [p, p, p, p];
  else if (Array.isArray(p) && p.every((x) => typeof x === 'number')) {
    [t, b] = [Number(p[0]), Number(p[0])];
    [l, r] = [Number(p[1]), Number(p[1])];
  } else if (Array.isArray(p)) {
    const [hp, wp] = p as unknown[];
    [t, b] = pair(hp, 0);
    [l, r] = pair(wp, 0);
  }
  const g = ctx.g;
  return g.op(
    'Pad',
    [input.name, g.ints(`${layer.name}/pads`, [0, 0, t, l, 0, 0, b, r])],
    layer.name,
    {
      mode: 'constant',
    },
  );
};

function pooling(op: 'MaxPool' | 'AveragePool'): LayerConverter {
  return (ctx, layer, inputs) => {
    channelsLast(layer);
    const input = only(layer, inputs);
    const kernel = pair(layer.config['poolSize'], 2);
    const strides = pair(layer.config['strides'] ?? layer.config['poolSize'], 2);
    const pads = convPads(layer, input, kernel, strides, [1, 1]);
    // TF averages only the real pixels at the edges, as ONNX does with count_include_pad 0.
    const attrs: Record<string, number> = op === 'AveragePool' ? { count_include_pad: 0 } : {};
    return ctx.g.op(op, [input.name], layer.name, {
      kernel_shape: kernel,
      strides,
      pads,
      ...attrs,
    });
  };
}

function globalPooling(op: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter {
  return (ctx, layer, inputs) => {
    channelsLast(layer);
    const input = only(layer, inputs);
    const pooled = ctx.g.op(op, [input.name], `${layer.name}/pool`);
    if (layer.config['keepDims'] === true) return pooled;
    return ctx.g.op('Flatten', [pooled], layer.name, { axis: 1 });
  };
}

/** A 4-D value back in Keras's NHWC order, for layers that see its element order. */
function toNhwc(ctx: ConvertContext, v: Value, base: string): string {
  if (v.shape.length !== 4) return v.name;
  return ctx.g.op('Transpose', [v.name], `${base}/nhwc`, { perm: [0, 2, 3, 1] });
}

const flatten: LayerConverter = (ctx, layer, inputs) => {
  const input = only(layer, inputs);
  return ctx.g.op('Flatten', [toNhwc(ctx, input, layer.name)], layer.name, { axis: 1 });
};

const reshape: LayerConverter = (ctx, layer, inputs) => {
  const input = only(layer, inputs);
  const target = layer.config['targetShape'];
  if (!Array.isArray(target))
    throw new UnsupportedLayer(layer.name, layer.className, 'no target shape');
  const g = ctx.g;
  const shape = g.ints(`${layer.name}/shape`, [0, ...target.map((d) => Number(d))]);
  const out = g.op('Reshape', [toNhwc(ctx, input, layer.name), shape], `${layer.name}/reshape`);
  if (target.length + 1 !== 4) return out;
  return g.op('Transpose', [out], layer.name, { perm: [0, 3, 1, 2] });
};

const identity: LayerConverter = (_ctx, layer, inputs) => only(layer, inputs).name;

const rescaling: LayerConverter = (ctx, layer, inputs) => {
  const input = only(layer, inputs);
  const scale = Number(layer.config['scale'] ?? 1);
  const offset = Number(layer.config['offset'] ?? 0);
  const g = ctx.g;
  const mul = g.op(
    'Mul',
    [input.name, g.scalar(`${layer.name}/scale`, scale)],
    `${layer.name}/mul`,
  );
  return g.op('Add', [mul, g.scalar(`${layer.name}/offset`, offset)], layer.name);
};

/** Converters by Keras class name; a class missing here is reported as unsupported. */
export const LAYER_CONVERTERS: Record<string, LayerConverter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  BatchNormalization: batchNorm,
  Dense: dense,
  ReLU: reluLayer,
  Activation: activationLayer,
  LeakyReLU: leakyRelu,
  Softmax: softmaxLayer,
  Add: elementwise('Add'),
  Multiply: elementwise('Mul'),
  Subtract: elementwise('Sub'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  Average: elementwise('Mean'),
  Concatenate: concatenate,
  ZeroPadding2D: zeroPadding,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  Flatten: flatten,
  Reshape: reshape,
  Dropout: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
  Rescaling: rescaling,
};
