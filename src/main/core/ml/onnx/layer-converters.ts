/**
 * ONNX forms of Keras layers. Inside the graph every rank-4 value is NCHW (ONNX's layout for
 * Conv and pooling); values of other ranks keep the Keras layout. Layers that look at the
 * layout of a 4-D value (Flatten, Reshape, axis arguments) translate it here.
 */ import { batchNorm, conv2d, depthwiseConv2d, separableConv2d } from './conv-converters';
import {
  NHWC_TO_NCHW_AXIS,
  UnsupportedLayer,
  activation,
  channelsLast,
  convPads,
  data,
  need,
  only,
  pair,
  type ConvertContext,
  type LayerConverter,
  type Value,
} from './converter-base';

export {
  UnsupportedLayer,
  shortWeightName,
  type ConvertContext,
  type LayerConverter,
  type LayerView,
  type Value,
} from './converter-base';

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
