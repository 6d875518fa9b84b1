import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { gradCam, spatialBaseOf } from '../../../../../src/main/core/assist/grad-cam';
import type { HeadWeights } from '../../../../../src/main/core/train/head-trainer';
import { seededRandom } from '../../../../../src/main/core/train/rng';

const SIZE = 32;

/** Noise everywhere; class 1 also has a bright square somewhere in the top-left quadrant. */
function image(random: () => number, withSignal: boolean): Float32Array {
  const px = new Float32Array(SIZE * SIZE * 3);
  for (let i = 0; i < px.length; i++) px[i] = random() * 0.5;
  if (withSignal) {
    const side = 6;
    const x0 = Math.floor(random() * (SIZE / 2 - side));
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
  it('puts most of the heat where the class signal is (top-left quadrant)', async () => {
    await tf.setBackend('cpu');
    const random = seededRandom(11);
    const n = 160;
    const xs = new Float32Array(n * SIZE * SIZE * 3);
    const ys = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const label = i % 2;
      xs.set(image(random, label === 1), i * SIZE * SIZE * 3);
      ys[i * 2 + label] = 1;
    }
    const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
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
          filters: 8,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(2),
          name: 'fmap',
        }),
        tfl.layers.globalAveragePooling2d({ name: 'pool' }),
        tfl.layers.dense({ units: 8, activation: 'relu', kernelInitializer: init(3), name: 'h' }),
        tfl.layers.dense({
          units: 2,
          activation: 'softmax',
          kernelInitializer: init(4),
          name: 'out',
        }),
      ],
    });
    model.compile({
      optimizer: tf.train.adam(0.01),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const x = tf.tensor4d(xs, [n, SIZE, SIZE, 3]);
    const y = tf.tensor2d(ys, [n, 2]);
    const fit = await model.fit(x, y, { epochs: 12, batchSize: 32, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    const acc = fit.history['acc'] ?? fit.history['accuracy'] ?? [];
    expect(Number(acc[acc.length - 1])).toBeGreaterThan(0.9);

    const [w1, b1] = model.getLayer('h').getWeights();
    const [w2, b2] = model.getLayer('out').getWeights();
    if (!w1 || !b1 || !w2 || !b2) throw new Error('missing head weights');
    const head: HeadWeights = {
      w1: f32(w1),
      b1: f32(b1),
      w2: f32(w2),
      b2: f32(b2),
      dim: 8,
      hidden: 8,
      classes: 2,
    };
    const base = spatialBaseOf(model);
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
          if (i % cam.width < cam.width / 2 && Math.floor(i / cam.width) < cam.height / 2)
            inside += v;
        });
        expect(Math.max(...cam.values)).toBeCloseTo(1, 5);
        shares.push(inside / total);
      }
      const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
      // A quarter of the area; "mostly" means well over half of the heat.
      expect(mean).toBeGreaterThan(0.6);
      expect(Math.min(...shares)).toBeGreaterThan(0.4);
    } finally {
      base.dispose();
    }
  });
});
