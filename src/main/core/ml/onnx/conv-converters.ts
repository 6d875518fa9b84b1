/** ONNX forms of the convolution layers and BatchNormalization (folded into a Conv). */
import type { Tensor } from '@tensorflow/tfjs-core';
import {
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
  type LayerView,
  type Value,
} from './converter-base';

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

export const conv2d: LayerConverter = (ctx, layer, inputs) => {
  channelsLast(layer);
  const input = only(layer, inputs);
  const kernel = convKernel(need(layer, 'kernel'));
  const bias = layer.config['useBias'] === false ? null : data(need(layer, 'bias'));
  const strides = pair(layer.config['strides'], 1);
  const out = convNode(ctx, layer, input, kernel, bias, 1, strides, true);
  return activation(ctx, layer, out, layer.config['activation'], 4);
};

export const depthwiseConv2d: LayerConverter = (ctx, layer, inputs) => {
  channelsLast(layer);
  const input = only(layer, inputs);
  const k = need(layer, 'depthwise_kernel');
  const kernel = depthwiseKernel(k);
  const bias = layer.config['useBias'] === false ? null : data(need(layer, 'bias'));
  const strides = pair(layer.config['strides'], 1);
  const out = convNode(ctx, layer, input, kernel, bias, k.shape[2] ?? 1, strides, true);
  return activation(ctx, layer, out, layer.config['activation'], 4);
};

export const separableConv2d: LayerConverter = (ctx, layer, inputs) => {
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
export const batchNorm: LayerConverter = (ctx, layer, inputs) => {
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
