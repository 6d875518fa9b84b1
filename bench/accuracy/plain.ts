/** The accuracy benchmark's plain recipe: what a Keras user writes. */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { collectImageFiles } from '../../src/main/core/export/predict';
import { diskModelHandler } from '../../src/main/core/ml/model-io';
import { labelOf } from './data';

/**
 * The plain recipe as a Keras user writes it: images resized to 224×224 (bilinear, alpha
 * dropped as Keras's load_img does), MobileNetV2's preprocess_input ([-1, 1]), the frozen
 * base, then a Dense head fitted with model.fit. Features are computed once: a frozen Keras
 * base runs in inference mode, so this equals fitting through it (tfjs-layers' fit would run
 * its BatchNormalization on batch statistics, which Keras does not).
 */
export async function plainRecipe(
  modelJson: string,
  dataDir: string,
  classes: string[],
  seed: number,
  memo: Map<string, Float32Array[]>,
  testSets: string[],
) {
  const base = await tfl.loadLayersModel(diskModelHandler(modelJson));
  const cut = tfl.model({
    inputs: base.inputs,
    outputs: base.getLayer('out_relu').output as tfl.SymbolicTensor,
  });
  // The frozen base gives the same features whatever the seed: computed once per set.
  const features = async (files: string[]) => {
    const key = files.join('\n');
    const known = memo.get(key);
    if (known) return known;
    const out: Float32Array[] = [];
    for (let s = 0; s < files.length; s += 16) {
      const batch = files.slice(s, s + 16);
      const pixels = new Float32Array(batch.length * 224 * 224 * 3);
      for (const [i, f] of batch.entries()) {
        const { data } = await sharp(f)
          .resize(224, 224, { fit: 'fill', kernel: 'linear' })
          .removeAlpha()
          .toColourspace('srgb')
          .raw()
          .toBuffer({ resolveWithObject: true });
        for (let k = 0; k < data.length; k++)
          pixels[i * data.length + k] = (data[k] ?? 0) / 127.5 - 1;
      }
      const f = tf.tidy(() => {
        const map = cut.predict(tf.tensor4d(pixels, [batch.length, 224, 224, 3])) as tf.Tensor;
        return tf.mean(map, [1, 2]).dataSync() as Float32Array;
      });
      for (let i = 0; i < batch.length; i++) out.push(f.slice(i * 1280, (i + 1) * 1280));
    }
    memo.set(key, out);
    return out;
  };
  const trainFiles = await collectImageFiles([path.join(dataDir, 'train')]);
  const xTrain = await features(trainFiles);
  const head = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [1280],
        units: 256,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      }),
      tfl.layers.dropout({ rate: 0.2, seed }),
      tfl.layers.dense({
        units: classes.length,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
      }),
    ],
  });
  head.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(
    xTrain.flatMap((v) => Array.from(v)),
    [xTrain.length, 1280],
  );
  const y = tf.oneHot(
    tf.tensor1d(
      trainFiles.map((f) => classes.indexOf(labelOf(f))),
      'int32',
    ),
    classes.length,
  );
  await head.fit(x, y, { epochs: 20, batchSize: 32, shuffle: true, verbose: 0 });
  tf.dispose([x, y]);
  const accuracy: Record<string, number> = {};
  for (const t of testSets) {
    const files = await collectImageFiles([path.join(dataDir, t)]);
    const xs = await features(files);
    const pred = tf.tidy(
      () =>
        (
          head.predict(
            tf.tensor2d(
              xs.flatMap((v) => Array.from(v)),
              [xs.length, 1280],
            ),
          ) as tf.Tensor
        )
          .argMax(1)
          .dataSync() as Int32Array,
    );
    accuracy[t] =
      files.filter((f, i) => classes[pred[i] ?? -1] === labelOf(f)).length / files.length;
  }
  head.dispose();
  base.dispose();
  return accuracy;
}
