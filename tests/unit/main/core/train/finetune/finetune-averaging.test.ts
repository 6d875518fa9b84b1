/**
 * Fine-tuning with weight averaging (SWAD): the released weights are the mean of the weights
 * after every tuning step of the chosen epochs, and the estimate is measured on them.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  trainFinetune,
  type BatchSource,
  type FeatureNet,
  type FinetuneConfig,
} from '../../../../../../src/main/core/train/finetune/finetune-loop';
import type { TopWeights } from '../../../../../../src/main/core/train/finetune/top-net';
import { seededRandom } from '../../../../../../src/main/core/util/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const DIM = 6;

/** A one-layer "network": [n, 1, 1, DIM] inputs through a trainable DIM × DIM matrix and a ReLU. */
function tinyNet(): FeatureNet {
  const random = seededRandom(7);
  const kernel = tf.variable(
    tf.tensor2d(
      Float32Array.from({ length: DIM * DIM }, () => random() - 0.5),
      [DIM, DIM],
    ),
  );
  return {
    variables: [kernel],
    forward: (x) => tf.relu(tf.matMul(tf.reshape(x, [-1, DIM]), kernel)) as tf.Tensor2D,
    weights: (): TopWeights => ({
      dense: { kernel: { shape: [DIM, DIM], data: (kernel.dataSync() as Float32Array).slice() } },
    }),
    load: (w) => kernel.assign(tf.tensor2d(w['dense']?.['kernel']?.data ?? [], [DIM, DIM])),
  };
}

/** Two noisy classes along the first axes; a fixed input per item. */
function data(n: number, seed: number) {
  const random = seededRandom(seed);
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  const x = Float32Array.from({ length: n * DIM }, (_, j) => {
    const item = Math.floor(j / DIM);
    const axis = j % DIM;
    return (axis === (y[item] ?? 0) ? 1 : 0) + (random() - 0.5) * 1.5;
  });
  const pick = (idx: number[]) =>
    tf.tensor4d(
      Float32Array.from(idx.flatMap((i) => Array.from(x.subarray(i * DIM, (i + 1) * DIM)))),
      [idx.length, 1, 1, DIM],
    );
  return { y, pick };
}

/** 32 training and 16 validation items, served as the training loop pulls them. */
function problem() {
  const train = data(32, 1);
  const val = data(16, 2);
  const source: BatchSource = {
    train: async (idx) => train.pick(idx),
    validation: async (idx) => val.pick(idx),
  };
  return { train, val, source };
}

const config: FinetuneConfig = {
  hiddenUnits: 8,
  dropout: 0,
  epochs: 8,
  batchSize: 8,
  learningRate: 0.05,
  patience: 0,
  seed: 3,
  classWeighting: false,
  warmupEpochs: 2,
  baseLearningRateFactor: 1,
};

describe('fine-tuning with weight averaging', () => {
  it('releases the mean of every tuning step in the window, validated as released', async () => {
    const { train, val, source } = problem();
    const net = tinyNet();
    const steps: { epoch: number; kernel: Float32Array }[] = [];
    const result = await trainFinetune(
      net,
      source,
      { featureDim: DIM, classes: 2, yTrain: train.y, yVal: val.y },
      { ...config, weightAveraging: true },
      {
        onBatch: (epoch) => {
          const k = net.weights()['dense']?.['kernel']?.data;
          if (epoch > config.warmupEpochs && k) steps.push({ epoch, kernel: k });
        },
      },
    );
    expect(result.averaged).not.toBeNull();
    const [from, to] = result.averaged?.epochs ?? [0, 0];
    expect(from).toBeGreaterThan(config.warmupEpochs);
    expect(to).toBeLessThanOrEqual(config.epochs);
    const inWindow = steps.filter((s) => s.epoch >= from && s.epoch <= to);
    expect(inWindow.length).toBe((to - from + 1) * 4); // 32 items, batches of 8
    const mean = new Float32Array(DIM * DIM);
    for (const s of inWindow)
      s.kernel.forEach((v, i) => (mean[i] = (mean[i] ?? 0) + v / inWindow.length));
    const released = result.top['dense']?.['kernel']?.data ?? new Float32Array(0);
    released.forEach((v, i) => expect(v).toBeCloseTo(mean[i] ?? NaN, 5));
    // Not the weights of any one step: averaging did something.
    const last = steps[steps.length - 1]?.kernel ?? new Float32Array(0);
    expect(Math.max(...released.map((v, i) => Math.abs(v - (last[i] ?? 0))))).toBeGreaterThan(1e-4);
    // The estimate was measured on the averaged weights, which separate the two classes.
    expect(result.averaged?.valAccuracy).toBeGreaterThan(0.5);
  });

  it('is off unless asked: the best epoch is released as before', async () => {
    const { train, val, source } = problem();
    const result = await trainFinetune(
      tinyNet(),
      source,
      { featureDim: DIM, classes: 2, yTrain: train.y, yVal: val.y },
      config,
    );
    expect(result.averaged).toBeNull();
    expect(result.bestEpoch).toBeGreaterThan(0);
  });
});
