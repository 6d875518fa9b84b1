/**
 * Model folders read and written by TF.js handlers: reads stay inside the model's folder and
 * refuse links, FIFOs and devices; saving never replaces a file nor writes through a link.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { diskModelHandler, saveModel } from '../../../../../src/main/core/ml/model-io';
import { saveLayersModel } from '../../../../helpers/tiny-models';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

function denseModel(): tfl.LayersModel {
  return tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [4], units: 2, kernelInitializer: 'ones' })],
  });
}

/** Points the model's weights manifest at `shard` (a path as model.json would hold it). */
function setShard(modelJson: string, shard: string): void {
  const json = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as {
    weightsManifest: { paths: string[] }[];
  };
  json.weightsManifest[0]!.paths = [shard];
  fs.writeFileSync(modelJson, JSON.stringify(json));
}

describe('diskModelHandler', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let modelJson: string;
  let dir: string;
  beforeAll(() => tf.setBackend('cpu'));
  beforeEach(async () => {
    tmp = makeTmpDir();
    dir = path.join(tmp.dir, 'model');
    modelJson = await saveLayersModel(denseModel(), dir);
    fs.writeFileSync(path.join(tmp.dir, 'secret.bin'), Buffer.alloc(40, 7));
  });
  afterEach(() => tmp.cleanup());

  it('loads a model whose folder is reached through a link', async () => {
    const linked = path.join(tmp.dir, 'linked');
    fs.symlinkSync(dir, linked);
    const model = await tfl.loadLayersModel(diskModelHandler(path.join(linked, 'model.json')));
    const out = model.predict(tf.ones([1, 4])) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([4, 4]);
    model.dispose();
  });

  it('refuses a shard path that climbs out of the folder', async () => {
    setShard(modelJson, '../secret.bin');
    await expect(diskModelHandler(modelJson).load!()).rejects.toThrow(/leaves the model folder/);
  });

  it('refuses a shard that is a link out of the folder', async () => {
    fs.rmSync(path.join(dir, 'group1-shard1of1.bin'));
    fs.symlinkSync(path.join(tmp.dir, 'secret.bin'), path.join(dir, 'group1-shard1of1.bin'));
    await expect(diskModelHandler(modelJson).load!()).rejects.toMatchObject({
      code: 'FORBIDDEN_PATH',
      message: expect.stringMatching(/leads outside the folder/),
    });
  });

  it('refuses, without hanging, a shard linked to /dev/zero or that is a FIFO', async () => {
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.bin'));
    setShard(modelJson, 'zero.bin');
    await expect(diskModelHandler(modelJson).load!()).rejects.toThrow(/not read/);
    execFileSync('mkfifo', [path.join(dir, 'fifo.bin')]);
    setShard(modelJson, 'fifo.bin');
    await expect(diskModelHandler(modelJson).load!()).rejects.toThrow(/FIFO/);
  });

  it('refuses a model.json that is a link out of its folder', async () => {
    const elsewhere = path.join(tmp.dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(modelJson, path.join(elsewhere, 'model.json'));
    await expect(diskModelHandler(path.join(elsewhere, 'model.json')).load!()).rejects.toThrow(
      /leads outside the folder/,
    );
  });
});

describe('saveModel', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeAll(() => tf.setBackend('cpu'));
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('writes a model that loads back', async () => {
    const dir = path.join(tmp.dir, 'out');
    await saveModel(denseModel(), dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const model = await tfl.loadLayersModel(diskModelHandler(path.join(dir, 'model.json')));
    expect(Array.from((model.predict(tf.ones([1, 4])) as tf.Tensor).dataSync())).toEqual([4, 4]);
  });

  it('refuses an existing file or a link at either name, writing nothing', async () => {
    const victim = path.join(tmp.dir, 'victim.txt');
    fs.writeFileSync(victim, 'keep');
    for (const name of ['weights.bin', 'model.json']) {
      const dir = path.join(tmp.dir, `taken-${name}`);
      fs.mkdirSync(dir);
      fs.symlinkSync(victim, path.join(dir, name));
      await expect(saveModel(denseModel(), dir)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      expect(fs.readdirSync(dir)).toEqual([name]);
    }
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep');
  });

  it('refuses a folder that is a link', async () => {
    const target = path.join(tmp.dir, 'target');
    fs.mkdirSync(target);
    fs.symlinkSync(target, path.join(tmp.dir, 'link'));
    await expect(saveModel(denseModel(), path.join(tmp.dir, 'link'))).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect(fs.readdirSync(target)).toEqual([]);
  });
});
