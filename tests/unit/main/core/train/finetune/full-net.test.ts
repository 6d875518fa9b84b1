import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  trainFinetune,
  type BatchSource,
} from '../../../../../../src/main/core/train/finetune/finetune-loop';
import {
  buildFullNet,
  layerWeights,
} from '../../../../../../src/main/core/train/finetune/full-net';
import { DEFAULT_HEAD } from '../../../../../../src/main/core/train/head-trainer';
import { seededRandom } from '../../../../../../src/main/core/train/rng';

/** A few conv/depthwise blocks at 64×64, BatchNorm after each, seeded. */
function smallCnn(): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const input = tfl.input({ shape: [64, 64, 3] });
  let x = tfl.layers
    .conv2d({
      name: 'stem',
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(1),
    })
    .apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'stem_bn' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'stem_relu', maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .depthwiseConv2d({
      name: 'dw',
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      depthwiseInitializer: init(2),
    })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'dw_bn' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'dw_relu', maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .conv2d({
      name: 'project',
      filters: 16,
      kernelSize: 1,
      useBias: false,
      kernelInitializer: init(3),
    })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'project_bn' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'out_relu', maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: pooled });
}

/** Images whose class is their dominant colour channel. */
function images(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = seededRandom(seed);
  const x = new Float32Array(n * 64 * 64 * 3);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 64 * 64; p++) {
      for (let c = 0; c < 3; c++)
        x[(i * 64 * 64 + p) * 3 + c] = (c === y[i] ? 0.6 : -0.2) + (r() - 0.5);
    }
  }
  return { x, y };
}

describe('fine-tuning, full-network path (cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains the unfrozen top layers and leaves the frozen ones and BatchNorm statistics alone', async () => {
    const base = smallCnn();
    const net = buildFullNet(base, 'pool', 2);
    expect(net.trainable).toEqual(['dw', 'project']);
    const all = ['stem', 'stem_bn', 'dw', 'dw_bn', 'project', 'project_bn'];
    const before = layerWeights(base, all);
    const train = images(24, 1);
    const val = images(9, 2);
    const size = 64 * 64 * 3;
    const batchOf = (set: { x: Float32Array }, idx: number[]) => {
      const out = new Float32Array(idx.length * size);
      idx.forEach((i, k) => out.set(set.x.subarray(i * size, (i + 1) * size), k * size));
      return tf.tensor4d(out, [idx.length, 64, 64, 3]);
    };
    const source: BatchSource = {
      train: async (idx) => batchOf(train, idx),
      validation: async (idx) => batchOf(val, idx),
    };
    const result = await trainFinetune(
      net,
      source,
      { featureDim: 16, classes: 3, yTrain: train.y, yVal: val.y },
      {
        ...DEFAULT_HEAD,
        hiddenUnits: 16,
        epochs: 3,
        batchSize: 8,
        learningRate: 0.01,
        patience: 0,
        warmupEpochs: 1,
        baseLearningRateFactor: 0.5,
      },
    );
    const after = layerWeights(base, all);
    const changed = (layer: string, w: string) => {
      const a = before[layer]?.[w]?.data ?? new Float32Array();
      const b = after[layer]?.[w]?.data ?? new Float32Array();
      expect(a.length).toBeGreaterThan(0);
      return a.some((v, i) => v !== b[i]);
    };
    expect(changed('dw', 'depthwise_kernel')).toBe(true);
    expect(changed('project', 'kernel')).toBe(true);
    expect(changed('stem', 'kernel')).toBe(false);
    for (const bn of ['stem_bn', 'dw_bn', 'project_bn']) {
      for (const w of ['gamma', 'beta', 'moving_mean', 'moving_variance'])
        expect(changed(bn, w)).toBe(false);
    }
    expect(result.history).toHaveLength(3);
    expect(Number.isFinite(result.history[2]?.valAccuracy)).toBe(true);
    expect(Object.keys(result.top).sort()).toEqual(['dw', 'project']);
    net.dispose();
  }, 60_000);
});
