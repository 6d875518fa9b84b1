import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { sharedMobileNetV2 } from '../../../../helpers/nsfw-models';
import { foldBatchNorm } from '../../../../../src/main/core/ml/fold-batchnorm';
import { loadFeatureModel } from '../../../../../src/main/core/ml/feature-model';
import { diskModelHandler } from '../../../../../src/main/core/ml/model-io';
import { initBackend } from '../../../../../src/main/core/ml/tf-runtime';

// Largest difference, relative to the largest magnitude of the reference.
function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  const diff = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] ?? Infinity;
  const scale = tf.max(tf.abs(expected)).dataSync()[0] ?? 0;
  return diff / Math.max(scale, 1e-12);
}

// conv → BN → ReLU6 → depthwise → BN → ReLU → GAP, with non-trivial BN statistics.
function tinyNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 3], name: 'img' });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(input);
  x = tfl.layers.batchNormalization({ name: 'conv_bn', epsilon: 1e-3 }).apply(x);
  x = tfl.layers.reLU({ maxValue: 6, name: 'conv_relu' }).apply(x);
  x = tfl.layers
    .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, useBias: false, name: 'dw' })
    .apply(x);
  x = tfl.layers.batchNormalization({ name: 'dw_bn' }).apply(x);
  x = tfl.layers.activation({ activation: 'relu', name: 'dw_relu' }).apply(x);
  const out = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  const net = tfl.model({ inputs: input, outputs: out });
  let seed = 7;
  for (const layer of net.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const n = layer.getWeights()[0]?.shape[0] ?? 0;
    layer.setWeights([
      tf.randomUniform([n], 0.5, 2, 'float32', seed++),
      tf.randomUniform([n], -1, 1, 'float32', seed++),
      tf.randomUniform([n], -0.5, 0.5, 'float32', seed++),
      tf.randomUniform([n], 0.1, 3, 'float32', seed++),
    ]);
  }
  return net;
}

describe('foldBatchNorm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterEach(() => {
    delete process.env['OCELLUS_FOLD_BN'];
  });

  it('folds a tiny conv/depthwise net and fuses its ReLU6 and ReLU, same outputs', () => {
    const net = tinyNet();
    const { model, folded, fused } = foldBatchNorm(net);
    expect({ folded, fused }).toEqual({ folded: 2, fused: 2 });
    expect(model.layers.map((l) => l.name)).toEqual(['img', 'conv', 'dw', 'gap']);
    expect(model.getLayer('dw').getConfig()['activation']).toBe('relu');
    const x = tf.randomUniform([2, 12, 12, 3], -1, 1, 'float32', 3);
    const want = net.predict(x) as tf.Tensor;
    const got = model.predict(x) as tf.Tensor;
    expect(relativeError(got, want)).toBeLessThan(1e-5);
    // A kept layer is neither removed nor changed: here the ReLU6 stays, so conv cannot fuse.
    const partial = foldBatchNorm(net, { keep: ['conv_relu'] });
    expect({ folded: partial.folded, fused: partial.fused }).toEqual({ folded: 2, fused: 1 });
    expect(relativeError(partial.model.predict(x) as tf.Tensor, want)).toBeLessThan(1e-5);
    tf.dispose([x, want, got]);
    partial.model.dispose();
    model.dispose();
    net.dispose();
  });

  it('folds the real Keras MobileNetV2; its embeddings stay the same', async () => {
    const modelJson = await sharedMobileNetV2();
    const full = await tfl.loadLayersModel(diskModelHandler(modelJson));
    const { model, folded } = foldBatchNorm(full);
    expect(folded).toBeGreaterThan(30);
    expect(model.layers.filter((l) => l.getClassName() === 'BatchNormalization')).toHaveLength(0);
    model.dispose();
    full.dispose();

    process.env['OCELLUS_FOLD_BN'] = '0';
    const plain = await loadFeatureModel(modelJson);
    delete process.env['OCELLUS_FOLD_BN'];
    const fast = await loadFeatureModel(modelJson);
    expect(fast.featureLayer).toBe(plain.featureLayer);
    expect(fast.size).toBe(1280);
    const x = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 11) as tf.Tensor4D;
    const want = plain.embed(x);
    const got = fast.embed(x);
    expect(relativeError(got, want)).toBeLessThan(1e-4);
    // A named feature layer that folding would remove (the last ReLU6) stays in the model;
    // pooled, its map equals the model's own average pooling.
    const named = await loadFeatureModel(modelJson, 'out_relu');
    expect(named.featureLayer).toBe('out_relu');
    const pooled = named.embed(x);
    expect(relativeError(pooled, want)).toBeLessThan(1e-4);
    tf.dispose([x, want, got, pooled]);
    plain.dispose();
    fast.dispose();
    named.dispose();
  });
});
