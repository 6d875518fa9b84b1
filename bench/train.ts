/**
 * Training benchmark, in one run on one backend:
 *
 * 1. Head training on synthetic embeddings (1280-d, 10 classes) at each --sizes: Ocellus's
 *    head trainer against the plain Keras-style reference (tf.sequential Dense head,
 *    model.fit, batch 32), seconds per epoch.
 * 2. On --images generated photos with the real Keras MobileNetV2 (from nsfwjs): Ocellus's
 *    fine-tune (activations cached once at block 16's input, then block 16 + Conv_1 + head
 *    trained from the cache), its feature mode (head on embeddings), and the plain recipe
 *    (tf.sequential of the frozen base + dense head, model.fit on decoded image tensors
 *    each epoch), seconds per epoch and images/s.
 * 3. Where the native backend (@tensorflow/tfjs-node) loads, on the same images: full-network
 *    fine-tuning (augmented images streamed through the whole network, the top
 *    --native-unfreeze layers trainable), the plain recipe on native, and inference images/s of
 *    native TensorFlow against ONNX Runtime (see train-native.ts).
 *
 *   npm run bench:train -- [--sizes 2000,10000] [--epochs 4] [--ref-epochs 2] [--images 200]
 *                          [--ft-epochs 2] [--views 2] [--backend wasm] [--data DIR] [--json]
 *                          [--native-unfreeze 4,1000] [--native-epochs 2] [--no-native]
 */
import '@tensorflow/tfjs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../src/main/core/ml/tf-runtime';
import { defaultPreprocessing } from '../src/main/core/ml/zoo';
import { writeNsfwModel } from '../tests/helpers/nsfw-models';
import { log, table } from './lib/measure';
import { nativePart, nativeTable, type NativeRows } from './train-native';
import { DIM, CLASSES, options } from './train/options';
import { headPart } from './train/head';
import { photos, finetunePart } from './train/finetune';

async function main(): Promise<void> {
  const opts = options();
  const backend = await initBackend(opts.backend);
  log(
    `backend ${backend}, ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const head = await headPart(opts);
  const ft = await finetunePart(opts);
  let native: NativeRows | null = null;
  if (opts.native) {
    const modelJson = await writeNsfwModel(path.join(opts.data, 'mobilenet_v2'));
    const images = await photos(path.join(opts.data, 'photos'), opts.images, 5);
    const nVal = Math.round(images.length / 5);
    native = await nativePart(
      modelJson,
      defaultPreprocessing(modelJson),
      images.slice(nVal),
      images.slice(0, nVal),
      5,
      { epochs: opts.nativeEpochs, refEpochs: opts.refEpochs, unfreeze: opts.nativeUnfreeze },
    );
  }
  const result = { backend, head, finetune: ft, native, loadAverage: os.loadavg() };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const f = (s: number) => `${s.toFixed(2)} s`;
  const ips = (n: number, s: number) => `${(n / s).toFixed(1)}/s`;
  process.stdout.write(
    `\nHead training on embeddings (${DIM}-d, ${CLASSES} classes, batch 32, ${backend})\n` +
      table([
        ['embeddings', 'Ocellus s/epoch', 'plain model.fit s/epoch', 'speed-up'],
        ...head.map((r) => [
          String(r.n),
          f(r.ocellus),
          f(r.plain),
          `${(r.plain / r.ocellus).toFixed(1)}×`,
        ]),
      ]) +
      `\n\nMobileNetV2 on ${ft.trainImages} training images (+${ft.images - ft.trainImages} validation), ${backend}\n` +
      table([
        ['what', 's/epoch', 'images/s', 'note'],
        [
          'Ocellus fine-tune, cached path',
          f(ft.finetuneEpochSeconds),
          ips(ft.trainImages, ft.finetuneEpochSeconds),
          `${ft.trained.join(', ')} + head; val acc ${(ft.finetuneValAccuracy * 100).toFixed(0)} %`,
        ],
        [
          '  one-off activation cache',
          f(ft.cachingSeconds),
          ips(ft.cachedViews, ft.cachingSeconds),
          `${ft.cachedViews} views at ${ft.cutLayer}`,
        ],
        [
          'Ocellus feature mode (head)',
          f(ft.featureEpochSeconds),
          ips(ft.trainImages, ft.featureEpochSeconds),
          'embeddings cached',
        ],
        [
          'plain recipe (frozen base + head, model.fit, batch 8)',
          f(ft.plainEpochSeconds),
          ips(ft.trainImages, ft.plainEpochSeconds),
          're-runs the base every epoch',
        ],
      ]) +
      `\n\nFeature mode vs plain recipe per epoch: ${(ft.plainEpochSeconds / ft.featureEpochSeconds).toFixed(0)}×; fine-tune vs plain: ${(ft.plainEpochSeconds / ft.finetuneEpochSeconds).toFixed(1)}×\n`,
  );
  if (native) process.stdout.write(nativeTable(native, ft, backend, f, ips));
  else if (opts.native)
    process.stdout.write('\nNative backend rows: skipped (see the log above)\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
