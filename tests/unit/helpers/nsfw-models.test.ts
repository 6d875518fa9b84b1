import fs from 'node:fs';
import path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type io } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NSFW_MODELS, sharedMobileNetV2, writeNsfwModel } from '../../helpers/nsfw-models';
import { makeTmpDir } from '../../helpers/tmp-dir';

/** Copies a Node Buffer's bytes into an ArrayBuffer of its own (Buffers may share a pooled one). */
function toArrayBuffer(buf: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(buf.byteLength);
  new Uint8Array(out).set(buf);
  return out;
}

/** A TF.js IOHandler that loads model.json and its weight shards from the local file system. */
function fileLoadHandler(modelJsonPath: string): io.IOHandler {
  return {
    load: async () => {
      const dir = path.dirname(modelJsonPath);
      const modelJson = JSON.parse(
        await fs.promises.readFile(modelJsonPath, 'utf8'),
      ) as io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const shards = await Promise.all(
          manifest.flatMap((group) =>
            group.paths.map((p) => fs.promises.readFile(path.join(dir, p))),
          ),
        );
        // WeightData may be a list of buffers (one per shard), in manifest order.
        return [tf.io.getWeightSpecs(manifest), shards.map(toArrayBuffer)];
      });
    },
  };
}

/** Deterministic pseudo-random values in [-1, 1] (MobileNetV2's input range). */
function fakeImage(n: number, size: number, seed = 1): tf.Tensor4D {
  const values = new Float32Array(n * size * size * 3);
  let s = seed;
  for (let i = 0; i < values.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    values[i] = (s / 2 ** 32) * 2 - 1;
  }
  return tf.tensor4d(values, [n, size, size, 3]);
}

describe('writeNsfwModel', () => {
  const tmp = makeTmpDir('ocellus-nsfw-');
  afterAll(() => tmp.cleanup());

  it('writes model.json with .bin shard paths and the shard next to it', async () => {
    const modelPath = await writeNsfwModel(path.join(tmp.dir, 'm'));
    expect(modelPath).toBe(path.join(tmp.dir, 'm', 'model.json'));
    const json = JSON.parse(fs.readFileSync(modelPath, 'utf8')) as io.ModelJSON;
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest.map((g) => g.paths)).toEqual([['group1-shard1of1.bin']]);
    // 2,619,461 uint8-quantised weights.
    expect(fs.statSync(path.join(tmp.dir, 'm', 'group1-shard1of1.bin')).size).toBe(2_619_461);
    expect(fs.readdirSync(path.join(tmp.dir, 'm')).sort()).toEqual([
      'group1-shard1of1.bin',
      'model.json',
    ]);
  });

  it('skips an up-to-date folder and repairs a damaged one', async () => {
    const dir = path.join(tmp.dir, 'm');
    const shard = path.join(dir, 'group1-shard1of1.bin');
    await writeNsfwModel(dir);
    const before = fs.statSync(shard).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await Promise.all([writeNsfwModel(dir), writeNsfwModel(dir)]);
    expect(fs.statSync(shard).mtimeMs).toBe(before);

    fs.truncateSync(shard, 1000);
    await writeNsfwModel(dir);
    expect(fs.statSync(shard).size).toBe(2_619_461);
  });
});

describe('nsfwjs MobileNetV2 as a TF.js Layers model (cpu backend)', () => {
  const info = NSFW_MODELS.mobilenet_v2;
  let model: tfl.LayersModel;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    model = await tfl.loadLayersModel(fileLoadHandler(await sharedMobileNetV2()));
  });
  afterAll(() => model?.dispose());

  it('takes 224×224×3 input', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(model.inputs[0]?.shape).toEqual([null, 224, 224, 3]);
    expect(model.layers.length).toBe(162);
  });

  it('ends with out_relu (7×7×1280) → 7×7 average pool → flatten (1280) → the NSFW head', () => {
    const tail = model.layers.slice(-10).map((l) => [l.name, l.getClassName(), l.outputShape]);
    expect(tail).toEqual([
      ['Conv_1', 'Conv2D', [null, 7, 7, 1280]],
      ['Conv_1_bn', 'BatchNormalization', [null, 7, 7, 1280]],
      ['out_relu', 'ReLU', [null, 7, 7, 1280]],
      ['average_pooling2d_1', 'AveragePooling2D', [null, 1, 1, 1280]],
      ['flatten_1', 'Flatten', [null, 1280]],
      ['dense_1', 'Dense', [null, 256]],
      ['dropout_2', 'Dropout', [null, 256]],
      ['dense_2', 'Dense', [null, 128]],
      ['dropout_3', 'Dropout', [null, 128]],
      ['dense_3', 'Dense', [null, 5]],
    ]);
    expect(model.getLayer(info.featureMapLayer).outputShape).toEqual([
      null,
      ...info.featureMapShape,
    ]);
    expect(model.getLayer(info.pooledLayer).outputShape).toEqual([null, info.featureSize]);
  });

  // Two passes of the whole network on the pure-JS cpu backend: seconds idle, more when busy.
  it('gives a finite, deterministic 1280-d embedding equal to the mean of the 7×7 map', () => {
    // One pass yields the embedding, the map it pools and the original head's output.
    const features = tfl.model({
      inputs: model.inputs,
      outputs: [info.pooledLayer, info.featureMapLayer, 'dense_3'].map(
        (name) => model.getLayer(name).output as tfl.SymbolicTensor,
      ),
    });
    const x = fakeImage(1, info.inputSize);
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const [pooled, map, probs] = features.predict(x) as tf.Tensor[];
        if (!pooled || !map || !probs) throw new Error('expected three outputs');
        expect(pooled.shape).toEqual([1, 1280]);
        return [pooled, tf.mean(map, [1, 2]), probs].map((t) => t.dataSync() as Float32Array);
      });

    const [a = new Float32Array(), meanOfMap = new Float32Array(), probs = new Float32Array()] =
      run();
    const [b] = run();
    x.dispose();
    expect(a).toHaveLength(1280);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(a.some((v) => v !== 0)).toBe(true);
    expect(Array.from(b ?? [])).toEqual(Array.from(a));
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(meanOfMap[i] ?? NaN, 4);
    expect(probs).toHaveLength(5);
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 4);
  }, 180_000);
});
