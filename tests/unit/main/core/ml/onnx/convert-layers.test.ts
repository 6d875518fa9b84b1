import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbedEngine, prepareItems } from '../../../../../../src/main/core/ml/embed-engine';
import { createInferenceEngine } from '../../../../../../src/main/core/ml/inference-engine';
import { diskModelHandler } from '../../../../../../src/main/core/ml/model-io';
import {
  buildClassifierOnnx,
  convertFeatureModel,
  UnsupportedModelError,
} from '../../../../../../src/main/core/ml/onnx/convert-layers';
import { createSession, loadOrt } from '../../../../../../src/main/core/ml/onnx/onnx-engine';
import { onnxCachePaths } from '../../../../../../src/main/core/ml/onnx/onnx-cache';
import type { PreprocessingSpec } from '../../../../../../src/main/core/ml/zoo-types';
import { predictHead, type HeadWeights } from '../../../../../../src/main/core/model/head';
import { seededRandom } from '../../../../../../src/main/core/util/rng';
import { sharedMobileNetV2 } from '../../../../../helpers/nsfw-models';
import { makeTmpDir } from '../../../../../helpers/tmp-dir';
import { saveLayersModel } from '../../../../../helpers/tiny-models';
import fs from 'node:fs';

const SPEC: PreprocessingSpec = {
  inputSize: [224, 224],
  resize: 'center-crop',
  normalization: { kind: 'range', min: -1, max: 1 },
};

/** Photograph-like test images: smooth colour fields with noise and a shape, each different. */
async function writePhotos(dir: string, count: number): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `img${i}.jpg`);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240">
      <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
        <stop offset="0" stop-color="hsl(${i * 97},70%,40%)"/><stop offset="1" stop-color="hsl(${i * 53 + 120},60%,70%)"/>
      </linearGradient></defs>
      <rect width="320" height="240" fill="url(#g)"/>
      <circle cx="${80 + i * 50}" cy="${100 + i * 20}" r="${40 + i * 10}" fill="hsl(${i * 31},80%,50%)"/></svg>`;
    const noise = await sharp({
      create: {
        width: 320,
        height: 240,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .png()
      .toBuffer();
    await sharp(Buffer.from(svg))
      .composite([{ input: noise, blend: 'overlay' }])
      .jpeg({ quality: 85 })
      .toFile(file);
    files.push(file);
  }
  return files;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

describe('ONNX conversion of the real Keras MobileNetV2', () => {
  const tmp = makeTmpDir();
  let modelJson = '';
  let pixels: Float32Array;
  let tfEngine: EmbedEngine;
  const n = 3;

  beforeAll(async () => {
    const shared = await sharedMobileNetV2();
    // A private copy: the conversion cache is written beside the model.
    modelJson = path.join(tmp.dir, 'model', 'model.json');
    fs.mkdirSync(path.dirname(modelJson), { recursive: true });
    for (const f of fs.readdirSync(path.dirname(shared))) {
      if (f !== 'onnx')
        fs.copyFileSync(path.join(path.dirname(shared), f), path.join(path.dirname(modelJson), f));
    }
    const files = await writePhotos(tmp.dir, n);
    const batch = await prepareItems(
      files.map((file, i) => ({ key: String(i), file })),
      SPEC,
    );
    pixels = new Float32Array(n * 224 * 224 * 3);
    batch.pixels.forEach((p, i) => pixels.set(p as Float32Array, i * 224 * 224 * 3));
    tfEngine = await EmbedEngine.create({
      modelJson,
      featureOutput: 'auto',
      preprocessing: SPEC,
      backend: 'wasm',
    });
  }, 120_000);
  afterAll(() => {
    tfEngine?.dispose();
    tmp.cleanup();
  });

  it('gives the same embeddings as TF.js on real images (within 1e-4)', async () => {
    const layers = await loadLayersModel(diskModelHandler(modelJson));
    const conv = convertFeatureModel(layers, 'auto');
    layers.dispose();
    expect(conv.featureLayer).toBe(tfEngine.featureLayer);
    expect(conv.size).toBe(1280);
    const ort = await loadOrt();
    const session = await createSession(conv.bytes);
    const got = (await session.run({ input: new ort.Tensor('float32', pixels, [n, 224, 224, 3]) }))[
      'embedding'
    ]?.data as Float32Array;
    const input = tf.tensor4d(pixels, [n, 224, 224, 3]);
    const want = tfEngine.embedTensor(input);
    const expected = want.dataSync() as Float32Array;
    tf.dispose([input, want]);
    // Not a trivial agreement: the images give different embeddings.
    expect(maxAbsDiff(expected.subarray(0, 1280), expected.subarray(1280, 2560))).toBeGreaterThan(
      0.1,
    );
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
    await session.release();
  }, 60_000);

  it('builds the whole classifier (base + head) with the same probabilities', async () => {
    const random = seededRandom(3);
    const [dim, hidden, classes] = [1280, 16, 4];
    const rand = (k: number, s: number) =>
      Float32Array.from({ length: k }, () => (random() - 0.5) * s);
    const head: HeadWeights = {
      w1: rand(dim * hidden, 0.2),
      b1: rand(hidden, 0.1),
      w2: rand(hidden * classes, 1),
      b2: rand(classes, 0.1),
      dim,
      hidden,
      classes,
    };
    const layers = await loadLayersModel(diskModelHandler(modelJson));
    const bytes = buildClassifierOnnx(layers, 'auto', head);
    layers.dispose();
    const ort = await loadOrt();
    const session = await createSession(bytes);
    const got = (await session.run({ input: new ort.Tensor('float32', pixels, [n, 224, 224, 3]) }))[
      'probabilities'
    ]?.data as Float32Array;
    const input = tf.tensor4d(pixels, [n, 224, 224, 3]);
    const emb = tfEngine.embedTensor(input);
    const expected = predictHead(head, emb.dataSync() as Float32Array);
    tf.dispose([input, emb]);
    expect(got.length).toBe(n * classes);
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
    await session.release();
  }, 60_000);

  it('picks ONNX Runtime after verifying the conversion, and caches it beside the model', async () => {
    const engine = await createInferenceEngine({
      modelJson,
      featureOutput: 'auto',
      preprocessing: SPEC,
      backend: 'wasm',
    });
    expect(engine.engine).toBe('onnx');
    expect(engine.note).toMatch(/converted, max diff/);
    engine.dispose();
    expect(fs.existsSync(onnxCachePaths(modelJson, 'auto').onnx)).toBe(true);
    const again = await createInferenceEngine({
      modelJson,
      featureOutput: 'auto',
      preprocessing: SPEC,
      backend: 'wasm',
    });
    expect(again.note).toMatch(/cached/);
    again.dispose();
  }, 60_000);
});

describe('ONNX conversion of unsupported layers', () => {
  const tmp = makeTmpDir();
  afterAll(() => tmp.cleanup());

  it('names the layer and its class, and the engine falls back to TF.js', async () => {
    await tf.setBackend('cpu');
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [16, 16, 3],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          name: 'conv',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.upSampling2d({ size: [2, 2], name: 'odd_upsampler' }),
        tfl.layers.globalAveragePooling2d({ name: 'pool' }),
      ],
    });
    expect(() => convertFeatureModel(model, 'pool')).toThrow(UnsupportedModelError);
    expect(() => convertFeatureModel(model, 'pool')).toThrow(/odd_upsampler \(UpSampling2D\)/);
    const modelJson = await saveLayersModel(model, path.join(tmp.dir, 'up'));
    model.dispose();
    const engine = await createInferenceEngine({
      modelJson,
      featureOutput: 'pool',
      preprocessing: { ...SPEC, inputSize: [16, 16] },
      backend: 'cpu',
    });
    expect(engine.engine).toBe('tfjs');
    expect(engine.note).toMatch(/odd_upsampler \(UpSampling2D\)/);
    engine.dispose();
  });

  it('converts same padding with stride 2, separable convs, pooling and concatenation exactly', async () => {
    await tf.setBackend('cpu');
    const input = tfl.input({ shape: [15, 16, 3] });
    const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
    const a = tfl.layers
      .conv2d({
        filters: 6,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu6',
        kernelInitializer: init(1),
      })
      .apply(input) as tfl.SymbolicTensor;
    const bn = tfl.layers
      .batchNormalization({
        betaInitializer: init(7),
        gammaInitializer: init(8),
        movingMeanInitializer: init(9),
      })
      .apply(a) as tfl.SymbolicTensor;
    const s = tfl.layers
      .separableConv2d({
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        depthMultiplier: 2,
        activation: 'swish',
        depthwiseInitializer: init(2),
        pointwiseInitializer: init(3),
      })
      .apply(bn) as tfl.SymbolicTensor;
    const m = tfl.layers
      .maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })
      .apply(s) as tfl.SymbolicTensor;
    const p = tfl.layers
      .averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })
      .apply(a) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate().apply([m, p]) as tfl.SymbolicTensor;
    const z = tfl.layers
      .zeroPadding2d({
        padding: [
          [1, 0],
          [0, 2],
        ],
      })
      .apply(cat) as tfl.SymbolicTensor;
    const d = tfl.layers
      .depthwiseConv2d({
        kernelSize: 3,
        strides: 2,
        padding: 'valid',
        depthwiseInitializer: init(4),
      })
      .apply(z) as tfl.SymbolicTensor;
    const mul = tfl.layers.multiply().apply([d, d]) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten({ name: 'feat' }).apply(mul) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: flat });
    const conv = convertFeatureModel(model, 'feat');
    const x = tf.randomUniform([2, 15, 16, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const want = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const ort = await loadOrt();
    const session = await createSession(conv.bytes, 1);
    const got = (
      await session.run({
        input: new ort.Tensor('float32', x.dataSync() as Float32Array, [2, 15, 16, 3]),
      })
    )['embedding']?.data as Float32Array;
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    tf.dispose(x);
    model.dispose();
    await session.release();
  });
});
