/**
 * Hostile model folders: weights whose dtype hides their size (a `string` of shape [1e9]
 * hung `embed`), shards that are links to files outside the folder (their content was
 * copied into the store and exportable again), FIFOs, and sizes that do not add up.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelStore } from '../../../../../src/main/core/ml/model-store';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

/** A Layers model.json (one Dense 4→2 layer) and its shard, written by hand. */
function writeModel(
  dir: string,
  options: { weights?: WeightSpec[]; shardBytes?: number; shard?: string } = {},
): string {
  fs.mkdirSync(dir, { recursive: true });
  const weights = options.weights ?? [
    { name: 'dense/kernel', shape: [4, 2], dtype: 'float32' },
    { name: 'dense/bias', shape: [2], dtype: 'float32' },
  ];
  const shard = options.shard ?? 'group1-shard1of1.bin';
  const topology = {
    class_name: 'Sequential',
    config: {
      name: 'seq',
      layers: [
        {
          class_name: 'Dense',
          config: { name: 'dense', units: 2, batch_input_shape: [null, 4], activation: 'linear' },
        },
      ],
    },
  };
  const json = {
    format: 'layers-model',
    modelTopology: topology,
    weightsManifest: [{ paths: [shard], weights }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, shard), Buffer.alloc(options.shardBytes ?? 40, 1));
  return dir;
}

describe('model import refuses hostile folders', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let store: ModelStore;
  let outside: string;

  beforeEach(() => {
    tmp = makeTmpDir();
    store = new ModelStore({ cacheDir: path.join(tmp.dir, 'models') });
    outside = path.join(tmp.dir, 'outside.bin');
    fs.writeFileSync(outside, Buffer.alloc(40, 7));
  });
  afterEach(() => tmp.cleanup());

  /** Nothing stored and no staging copy left behind. */
  function expectNothingStored(): void {
    expect(store.list()).toEqual([]);
    const incoming = path.join(tmp.dir, 'models', '.incoming');
    expect(fs.existsSync(incoming) ? fs.readdirSync(incoming) : []).toEqual([]);
  }

  it('imports a well-formed folder', async () => {
    const m = await store.importFolder(writeModel(path.join(tmp.dir, 'good')));
    expect(m.sizeBytes).toBeGreaterThan(40);
  });

  it('refuses a string weight of shape [1e9], whose size its shape cannot tell', async () => {
    const dir = writeModel(path.join(tmp.dir, 'string'), {
      weights: [{ name: 'w', shape: [1e9], dtype: 'string' }],
      shardBytes: 16,
    });
    await expect(store.importFolder(dir)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/dtype string/),
    });
    expectNothingStored();
  });

  it('refuses unknown quantisation, absurd shapes and shards that do not add up', async () => {
    const cases: [string, Parameters<typeof writeModel>[1], RegExp][] = [
      [
        'quant',
        { weights: [{ name: 'w', shape: [8], dtype: 'float32', quantization: { dtype: 'int4' } }] },
        /quantised as int4/,
      ],
      [
        'shape',
        { weights: [{ name: 'w', shape: [1e6, 1e6], dtype: 'float32' }] },
        /more elements than any usable weight/,
      ],
      ['float shape', { weights: [{ name: 'w', shape: [2.5], dtype: 'float32' }] }, /valid shape/],
      ['short', { shardBytes: 39 }, /hold 39 bytes.*need 40/],
      ['long', { shardBytes: 41 }, /hold 41 bytes.*need 40/],
    ];
    for (const [name, options, message] of cases) {
      const dir = writeModel(path.join(tmp.dir, name), options);
      await expect(store.importFolder(dir), name).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      });
    }
    expectNothingStored();
  });

  it('refuses shards that are links, outside or even inside the folder, and never copies them', async () => {
    const viaOutside = writeModel(path.join(tmp.dir, 'link-out'));
    fs.rmSync(path.join(viaOutside, 'group1-shard1of1.bin'));
    fs.symlinkSync(outside, path.join(viaOutside, 'group1-shard1of1.bin'));
    await expect(store.importFolder(viaOutside)).rejects.toMatchObject({
      code: 'FORBIDDEN_PATH',
    });

    const viaInside = writeModel(path.join(tmp.dir, 'link-in'));
    fs.renameSync(path.join(viaInside, 'group1-shard1of1.bin'), path.join(viaInside, 'real.bin'));
    fs.symlinkSync(path.join(viaInside, 'real.bin'), path.join(viaInside, 'group1-shard1of1.bin'));
    await expect(store.importFolder(viaInside)).rejects.toMatchObject({
      code: 'FORBIDDEN_PATH',
      message: expect.stringMatching(/symbolic link/),
    });

    const jsonLink = writeModel(path.join(tmp.dir, 'json-link'));
    const realJson = path.join(tmp.dir, 'elsewhere.json');
    fs.renameSync(path.join(jsonLink, 'model.json'), realJson);
    fs.symlinkSync(realJson, path.join(jsonLink, 'model.json'));
    await expect(store.importFolder(jsonLink)).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
    expectNothingStored();
  });

  it('refuses a FIFO shard at once instead of blocking on it', async () => {
    const dir = writeModel(path.join(tmp.dir, 'fifo'));
    fs.rmSync(path.join(dir, 'group1-shard1of1.bin'));
    execFileSync('mkfifo', [path.join(dir, 'group1-shard1of1.bin')]);
    await expect(store.importFolder(dir)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    expectNothingStored();
  });

  it('refuses a FIFO or a device as an exported model file', async () => {
    const fifo = path.join(tmp.dir, 'model.ocellus-model');
    execFileSync('mkfifo', [fifo]);
    await expect(store.importFile(fifo)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(store.importFile('/dev/zero')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
