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
import { seededRandom } from '../../../../../../src/main/core/util/rng';

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

/** Batches of the images' pixels by index: training and validation sets. */
function sourceOf(train: { x: Float32Array }, val: { x: Float32Array }): BatchSource {
  const size = 64 * 64 * 3;
  const batchOf = (set: { x: Float32Array }, idx: number[]) => {
    const out = new Float32Array(idx.length * size);
    idx.forEach((i, k) => out.set(set.x.subarray(i * size, (i + 1) * size), k * size));
    return tf.tensor4d(out, [idx.length, 64, 64, 3]);
  };
  return {
    train: async (idx) => batchOf(train, idx),
    validation: async (idx) => batchOf(val, idx),
  };
}

/** Three epochs, one of them warming the head up, at rates this small set learns from. */
const TUNE = {
  ...DEFAULT_HEAD,
  hiddenUnits: 16,
  epochs: 3,
  batchSize: 8,
  learningRate: 0.01,
  patience: 0,
  warmupEpochs: 1,
  baseLearningRateFactor: 0.5,
};

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
    const source = sourceOf(train, val);
    const result = await trainFinetune(
      net,
      source,
      { featureDim: 16, classes: 3, yTrain: train.y, yVal: val.y },
      TUNE,
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

  it('releases a blend of the tuned weights and those tuning started from, validated as released', async () => {
    const train = images(24, 1);
    const val = images(9, 2);
    const source = sourceOf(train, val);
    const tune = async (tunedShare: number) => {
      const base = smallCnn();
      const net = buildFullNet(base, 'pool', 2);
      const before = layerWeights(base, ['dw', 'project']);
      const result = await trainFinetune(
        net,
        source,
        { featureDim: 16, classes: 3, yTrain: train.y, yVal: val.y },
        { ...TUNE, seed: 9, tunedShare },
      );
      net.dispose();
      return { before, result };
    };
    const tuned = await tune(1);
    const half = await tune(0.5);
    const none = await tune(0);
    expect(tuned.result.blended).toBeNull();
    // Share 0 releases the layers as they were (the head as warmed up, before tuning).
    expect(none.result.top).toEqual(none.before);
    for (const [layer, entry] of Object.entries(half.result.top)) {
      for (const [w, { data }] of Object.entries(entry)) {
        const a = half.before[layer]?.[w]?.data ?? new Float32Array();
        const b = tuned.result.top[layer]?.[w]?.data ?? new Float32Array();
        expect(b.some((v, i) => v !== a[i])).toBe(true);
        data.forEach((v, i) => expect(v).toBeCloseTo(((a[i] ?? NaN) + (b[i] ?? NaN)) / 2, 5));
      }
    }
    const w2 = (r: typeof tuned) => r.result.head.w2;
    expect(w2(half).some((v, i) => v !== w2(tuned)[i])).toBe(true);
    // The released weights' own validation, not the tuned ones' best epoch.
    expect(half.result.blended?.valAccuracy).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(half.result.blended?.valLoss)).toBe(true);
    expect(half.result.blended?.valLoss).not.toBe(half.result.best?.valLoss);
  }, 60_000);

  it('sees a cancel between micro-batches, inside a batch, and applies nothing of it', async () => {
    const base = smallCnn();
    const net = buildFullNet(base, 'pool', 2);
    const micro = { ...net, microBatch: 2 };
    const before = layerWeights(base, ['dw', 'project']);
    const train = images(8, 1);
    const size = 64 * 64 * 3;
    let fetched = 0;
    const source: BatchSource = {
      train: async (idx) => {
        fetched++;
        const out = new Float32Array(idx.length * size);
        idx.forEach((i, k) => out.set(train.x.subarray(i * size, (i + 1) * size), k * size));
        return tf.tensor4d(out, [idx.length, 64, 64, 3]);
      },
      validation: async () => tf.zeros([0, 64, 64, 3]) as tf.Tensor4D,
    };
    let batches = 0;
    const tensors = tf.memory().numTensors;
    const result = await trainFinetune(
      micro,
      source,
      { featureDim: 16, classes: 3, yTrain: train.y, yVal: new Int32Array(0) },
      {
        ...DEFAULT_HEAD,
        hiddenUnits: 8,
        epochs: 2,
        batchSize: 8,
        warmupEpochs: 0,
        baseLearningRateFactor: 1,
      },
      // The batch of 8 is 4 micro-batches of 2: stop once the second has been fetched.
      { shouldStop: () => fetched >= 2, onBatch: () => batches++ },
    );
    expect(result.cancelled).toBe(true);
    expect(batches).toBe(0);
    // The second was fetched (ahead, while the first computed) but never computed.
    expect(fetched).toBe(2);
    expect(layerWeights(base, ['dw', 'project'])).toEqual(before);
    await new Promise((r) => setImmediate(r));
    expect(tf.memory().numTensors).toBe(tensors);
    net.dispose();
  });

  it("uses inference-mode BatchNorm, which tfjs-layers' fit does not for a frozen layer", async () => {
    const input = tfl.input({ shape: [4] });
    const bn = tfl.layers.batchNormalization({ name: 'bn' });
    const out = tfl.layers
      .dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.ones() })
      .apply(bn.apply(input)) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    bn.setWeights([tf.ones([4]), tf.zeros([4]), tf.fill([4], 5), tf.fill([4], 4)]);
    bn.trainable = false;
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const r = seededRandom(3);
    const x = tf.tensor2d(
      Float32Array.from({ length: 64 }, () => r() * 2),
      [16, 4],
    );
    const y = tf.oneHot(
      tf.tensor1d(
        Int32Array.from({ length: 16 }, (_, i) => i % 2),
        'int32',
      ),
      2,
    );
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    // Keras in TF 2 would leave a frozen layer's statistics alone; tfjs-layers moves them.
    const movingMean = (bn.getWeights()[2]?.dataSync() ?? [])[0] ?? 5;
    expect(movingMean).not.toBeCloseTo(5, 3);

    // The full-network path never calls fit: its features are predict's, BatchNorm fixed.
    const cnn = smallCnn();
    const net = buildFullNet(cnn, 'pool', 2);
    const batch = tf.tensor4d(images(4, 9).x, [4, 64, 64, 3]);
    const viaNet = net.forward(batch).dataSync();
    const viaPredict = (cnn.predict(batch) as tf.Tensor).dataSync();
    expect(Array.from(viaNet)).toEqual(Array.from(viaPredict));
    tf.dispose([x, y, batch]);
    model.dispose();
    net.dispose();
  });
});
