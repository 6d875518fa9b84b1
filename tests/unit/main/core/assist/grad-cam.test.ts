import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { gradCam, spatialBaseOf } from '../../../../../src/main/core/assist/grad-cam';
import { DEFAULT_HEAD, trainHead } from '../../../../../src/main/core/train/head-trainer';
import { type HeadWeights } from '../../../../../src/main/core/model/head';
import { seededRandom } from '../../../../../src/main/core/util/rng';

const SIZE = 32;

/**
 * Grey noise everywhere; class 1 also has a red square somewhere in the top-right quadrant
 * (not top-left, so a transposed map would fail).
 */
function image(random: () => number, withSignal: boolean): Float32Array {
  const px = new Float32Array(SIZE * SIZE * 3);
  for (let i = 0; i < px.length; i += 3) px[i] = px[i + 1] = px[i + 2] = random() * 0.1;
  if (withSignal) {
    const side = 8;
    const x0 = SIZE / 2 + Math.floor(random() * (SIZE / 2 - side));
    const y0 = Math.floor(random() * (SIZE / 2 - side));
    for (let y = y0; y < y0 + side; y++) {
      for (let x = x0; x < x0 + side; x++) {
        const o = (y * SIZE + x) * 3;
        px[o] = 1;
        px[o + 1] = 0.1;
        px[o + 2] = 0.1;
      }
    }
  }
  return px;
}

function f32(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync());
}

describe('Grad-CAM', () => {
  it('puts most of the heat where the class signal is (top-right quadrant)', async () => {
    await tf.setBackend('cpu');
    const random = seededRandom(11);
    const n = 160;
    const xs = new Float32Array(n * SIZE * SIZE * 3);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const label = i % 2;
      xs.set(image(random, label === 1), i * SIZE * SIZE * 3);
      labels[i] = label;
    }
    const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
    // The base is a fixed seeded CNN (as a pre-trained network is fixed in feature mode);
    // the head learns from its pooled features, as a run does.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [SIZE, SIZE, 3],
          filters: 8,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(1),
        }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({
          filters: 16,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(2),
          name: 'fmap',
        }),
        tfl.layers.globalAveragePooling2d({ name: 'pool' }),
      ],
    });
    const base = spatialBaseOf(model);
    const embed = (batch: Float32Array, count: number) =>
      tf.tidy(() =>
        f32(tf.mean(base.featureMap(tf.tensor4d(batch, [count, SIZE, SIZE, 3])), [1, 2])),
      );
    const features = embed(xs, n);
    const split = Math.floor(n * 0.75) * 16;
    const result = await trainHead(
      {
        dim: 16,
        classes: 2,
        xTrain: features.slice(0, split),
        yTrain: labels.slice(0, split / 16),
        xVal: features.slice(split),
        yVal: labels.slice(split / 16),
      },
      { ...DEFAULT_HEAD, hiddenUnits: 16, epochs: 60, patience: 0, learningRate: 0.01, dropout: 0 },
    );
    expect(result.best?.valAccuracy).toBeGreaterThan(0.9);
    const head: HeadWeights = result.weights;
    try {
      const shares: number[] = [];
      for (let k = 0; k < 8; k++) {
        const cam = gradCam(base, head, image(random, true), 1);
        expect([cam.width, cam.height]).toEqual([SIZE / 2, SIZE / 2]);
        expect(cam.probabilities[1]).toBeGreaterThan(0.5);
        let inside = 0;
        let total = 0;
        cam.values.forEach((v, i) => {
          total += v;
          if (i % cam.width >= cam.width / 2 && Math.floor(i / cam.width) < cam.height / 2)
            inside += v;
        });
        expect(Math.max(...cam.values)).toBeCloseTo(1, 5);
        shares.push(inside / total);
      }
      const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
      // The quadrant is a quarter of the area: by chance it would hold 25 % of the heat.
      // "Mostly" is more than half for every image (measured here: 0.59–0.70).
      expect(Math.min(...shares)).toBeGreaterThan(0.5);
      expect(mean).toBeGreaterThan(0.55);
    } finally {
      base.dispose();
    }
  });
});
