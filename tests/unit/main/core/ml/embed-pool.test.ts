import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbedPool } from '../../../../../src/main/core/ml/embed-pool';
import { OcellusError } from '../../../../../src/shared/errors';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const config = {
  modelJson: '/nowhere/model.json',
  featureOutput: 'auto',
  preprocessing: {
    inputSize: [8, 8] as [number, number],
    resize: 'squash' as const,
    normalization: { kind: 'range' as const, min: 0, max: 1 },
  },
};

/** A stand-in worker speaking the real protocol, that dies the way it is told to. */
function writeWorker(dir: string, onEmbed: string): string {
  const file = path.join(dir, 'fake-worker.cjs');
  fs.writeFileSync(
    file,
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (msg) => {
       if (msg.type === 'init') parentPort.postMessage({ type: 'ready', size: 2, featureLayer: 'f', backend: 'cpu' });
       if (msg.type === 'embed') { ${onEmbed} }
     });`,
  );
  return file;
}

describe('EmbedPool', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('reports a worker that exits mid-batch as an error, and the process lives on', async () => {
    const pool = await EmbedPool.start(config, writeWorker(tmp.dir, 'process.exit(3);'), 1);
    const err = await pool.embed([{ key: 'a', file: 'x.jpg' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OcellusError);
    expect((err as OcellusError).message).toMatch(/stopped unexpectedly \(exit code 3\)/);
    await expect(pool.embed([{ key: 'b', file: 'y.jpg' }])).rejects.toThrow(
      /Every ML worker has stopped/,
    );
    await pool.close();
  });

  it('reports a worker that throws as a crash', async () => {
    const pool = await EmbedPool.start(config, writeWorker(tmp.dir, "throw new Error('boom');"), 1);
    await expect(pool.embed([{ key: 'a', file: 'x.jpg' }])).rejects.toThrow(/crashed: boom/);
    await pool.close();
  });

  it('fails to start with the real engine on a missing model, with a clear message', async () => {
    await expect(EmbedPool.start(config, null)).rejects.toThrow(
      /Model file not found: \/nowhere\/model.json/,
    );
  });

  it('passes results through in order', async () => {
    const pool = await EmbedPool.start(
      config,
      writeWorker(
        tmp.dir,
        `const v = new Float32Array(msg.items.length * 2).map((_, i) => i);
         parentPort.postMessage({ type: 'embedded', id: msg.id, keys: msg.items.map((i) => i.key),
           errors: msg.items.map(() => null), vectors: v, dim: 2, numTensors: 0 });`,
      ),
      2,
    );
    const out = await pool.embed([
      { key: 'a', file: '1' },
      { key: 'b', file: '2' },
    ]);
    expect(out.map((o) => [o.key, Array.from(o.vector ?? [])])).toEqual([
      ['a', [0, 1]],
      ['b', [2, 3]],
    ]);
    await pool.close();
  });
});
