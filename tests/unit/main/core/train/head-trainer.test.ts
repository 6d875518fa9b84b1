import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_HEAD,
  trainHead,
  type HeadData,
} from '../../../../../src/main/core/train/head-trainer';
import { predictHead } from '../../../../../src/main/core/model/head';
import { seededRandom } from '../../../../../src/main/core/util/rng';

/** Embeddings with a learnable signal: each class shifts a different block of dimensions. */
function synthetic(
  n: number,
  dim: number,
  classes: number,
  seed: number,
): { x: Float32Array; y: Int32Array } {
  const r = seededRandom(seed);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    y[i] = c;
    for (let d = 0; d < dim; d++) {
      const signal = Math.floor(d / (dim / classes)) === c ? 1.5 : 0;
      x[i * dim + d] = signal + (r() - 0.5) * 2;
    }
  }
  return { x, y };
}

function data(): HeadData {
  const train = synthetic(300, 32, 3, 1);
  const val = synthetic(90, 32, 3, 2);
  return { dim: 32, classes: 3, xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y };
}

describe('trainHead', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('learns a learnable signal to ≥ 90 % validation accuracy and keeps the best epoch', async () => {
    const epochs: number[] = [];
    const res = await trainHead(
      data(),
      { ...DEFAULT_HEAD, hiddenUnits: 32, epochs: 15 },
      { onEpoch: (m) => epochs.push(m.epoch) },
    );
    expect(res.best?.valAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(epochs[0]).toBe(1);
    const probs = predictHead(res.weights, data().xVal);
    expect(probs).toHaveLength(90 * 3);
    const rowSum = (probs[0] ?? 0) + (probs[1] ?? 0) + (probs[2] ?? 0);
    expect(rowSum).toBeCloseTo(1, 5);
  });

  it('gives the same per-epoch metrics for the same data and seed', async () => {
    const cfg = { ...DEFAULT_HEAD, hiddenUnits: 16, epochs: 4, patience: 0 };
    const a = await trainHead(data(), cfg);
    const b = await trainHead(data(), cfg);
    a.history.forEach((m, i) => {
      const o = b.history[i];
      expect(Math.abs(m.trainLoss - (o?.trainLoss ?? NaN))).toBeLessThan(1e-6);
      expect(Math.abs(m.valLoss - (o?.valLoss ?? NaN))).toBeLessThan(1e-6);
    });
    const c = await trainHead(data(), { ...cfg, seed: 7 });
    expect(c.history[0]?.trainLoss).not.toBeCloseTo(a.history[0]?.trainLoss ?? 0, 6);
  });

  it('leaves no tensor behind, finished or cancelled', async () => {
    const cfg = { ...DEFAULT_HEAD, hiddenUnits: 16, epochs: 3, patience: 0 };
    await trainHead(data(), cfg); // the first run may register kernels and the backend's own state
    const before = tf.memory().numTensors;
    await trainHead(data(), cfg);
    let batches = 0;
    await trainHead(data(), cfg, { onBatch: () => batches++, shouldStop: () => batches >= 2 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops within one batch when cancelled, and early on a plateau', async () => {
    let batches = 0;
    const res = await trainHead(
      data(),
      { ...DEFAULT_HEAD, epochs: 50, batchSize: 8 },
      {
        onBatch: () => batches++,
        shouldStop: () => batches >= 3,
      },
    );
    expect(res.cancelled).toBe(true);
    expect(batches).toBe(3);
    const early = await trainHead(data(), {
      ...DEFAULT_HEAD,
      hiddenUnits: 16,
      epochs: 200,
      patience: 2,
      learningRate: 0.05,
    });
    expect(early.stoppedEarly).toBe(true);
    expect(early.history.length).toBeLessThan(200);
  });
});

describe('trainHead: early stopping rules', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** Validation labels unrelated to the inputs: its loss only gets worse, every epoch. */
  function noise(): HeadData {
    const d = data();
    return { ...d, yVal: Int32Array.from(d.yVal, (_, i) => (i * 7) % 3) };
  }

  it('does not count warm-up epochs toward patience', async () => {
    const cfg = { ...DEFAULT_HEAD, hiddenUnits: 16, epochs: 20, patience: 2, learningRate: 0.05 };
    const plain = await trainHead(noise(), cfg);
    const warm = await trainHead(noise(), { ...cfg, warmupEpochs: 6 });
    expect(plain.stoppedEarly).toBe(true);
    expect(warm.stoppedEarly).toBe(true);
    // Same losses epoch by epoch, but patience only starts counting after epoch 6.
    expect(warm.history.length).toBeGreaterThan(6);
    expect(warm.history.length).toBeGreaterThan(plain.history.length);
    expect(warm.history.length).toBe(Math.max(plain.history.length, warm.bestEpoch + 2, 6 + 2));
  });

  it('with fixedEpochs trains every epoch and keeps the last weights', async () => {
    const cfg = { ...DEFAULT_HEAD, hiddenUnits: 16, epochs: 7, patience: 1, learningRate: 0.05 };
    const fixed = await trainHead(noise(), { ...cfg, fixedEpochs: true });
    expect(fixed.history).toHaveLength(7);
    expect(fixed.stoppedEarly).toBe(false);
    expect(fixed.bestEpoch).toBe(7);
    // The last weights, not the epoch with the lowest validation loss.
    const last = await trainHead(noise(), { ...cfg, patience: 0, fixedEpochs: false });
    expect(last.bestEpoch).toBeLessThan(7);
    const probs = predictHead(fixed.weights, noise().xVal);
    const again = await trainHead(noise(), { ...cfg, fixedEpochs: true });
    expect(Array.from(predictHead(again.weights, noise().xVal))).toEqual(Array.from(probs));
  });
});
