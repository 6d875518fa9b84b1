import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

/** Saves a Layers model as model.json + one .bin shard, as TF.js's converter would. */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = Array.isArray(data)
        ? Buffer.concat(data.map((b) => Buffer.from(b)))
        : Buffer.from(data ?? new ArrayBuffer(0));
      fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), bytes);
      fs.writeFileSync(
        path.join(dir, 'model.json'),
        JSON.stringify({
          format: 'layers-model',
          generatedBy: 'ocellus-tests',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return path.join(dir, 'model.json');
}

/** A small seeded CNN (32×32 input, 8 conv channels, global pooling, dense classifier). */
export async function writeTinyCnn(dir: string, inputSize = 32): Promise<string> {
  await tf.setBackend('cpu');
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [inputSize, inputSize, 3],
        filters: 8,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        name: 'conv',
      }),
      tfl.layers.globalAveragePooling2d({ name: 'features' }),
      tfl.layers.dense({
        units: 3,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
        name: 'classifier',
      }),
    ],
  });
  const file = await saveLayersModel(model, dir);
  model.dispose();
  return file;
}
