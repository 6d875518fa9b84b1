import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbedPool } from '../../../../../../src/main/core/ml/embed-pool';
import { makeTmpDir } from '../../../../../helpers/tmp-dir';

const config = {
  modelJson: '/nowhere/model.json',
  featureOutput: 'auto',
  preprocessing: {
    inputSize: [8, 8] as [number, number],
    resize: 'squash' as const,
    normalization: { kind: 'range' as const, min: 0, max: 1 },
  },
};

/**
 * A stand-in ML worker speaking the real protocol: as a forked process it claims ONNX Runtime
 * and dies of a native-style signal on its first batch; as a thread it is TF.js and answers.
 */
function writeWorker(dir: string): string {
  const file = path.join(dir, 'fake-worker.cjs');
  fs.writeFileSync(
    file,
    `const { parentPort } = require('node:worker_threads');
     const child = !parentPort;
     const send = (m) => (child ? process.send(m) : parentPort.postMessage(m));
     (child ? process : parentPort).on('message', (msg) => {
       if (msg.type === 'init') send({ type: 'ready', size: 2, featureLayer: 'f', backend: 'wasm', engine: child ? 'onnx' : 'tfjs', note: '' });
       if (msg.type === 'embed') {
         if (child) process.kill(process.pid, 'SIGSEGV');
         else send({ type: 'embedded', id: msg.id, keys: msg.items.map((i) => i.key), errors: msg.items.map(() => null), vectors: new Float32Array(msg.items.length * 2).fill(1), dim: 2, numTensors: 0 });
       }
     });`,
  );
  return file;
}

describe('EmbedPool engine containment', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  const saved = process.env['OCELLUS_ENGINE'];
  beforeEach(() => {
    tmp = makeTmpDir();
    delete process.env['OCELLUS_ENGINE'];
  });
  afterEach(() => {
    tmp.cleanup();
    if (saved === undefined) delete process.env['OCELLUS_ENGINE'];
    else process.env['OCELLUS_ENGINE'] = saved;
  });

  it('runs ONNX Runtime alone in a child process, and falls back to TF.js threads when it crashes', async () => {
    const pool = await EmbedPool.start(config, writeWorker(tmp.dir), 2);
    expect(pool.info?.engine).toBe('onnx');
    expect(pool.info?.workers).toBe(1);
    expect(pool.childPids()).toHaveLength(1);
    const out = await pool.embed([{ key: 'a', file: 'x.jpg' }]);
    expect(out[0]?.vector).toEqual(new Float32Array([1, 1]));
    expect(pool.info?.engine).toBe('tfjs');
    expect(pool.info?.note).toMatch(/ONNX Runtime crashed.*SIGSEGV/);
    expect(pool.childPids()).toHaveLength(0);
    await pool.close();
  });

  it('reports the crash when ONNX Runtime is forced', async () => {
    process.env['OCELLUS_ENGINE'] = 'onnx';
    const pool = await EmbedPool.start(config, writeWorker(tmp.dir), 2);
    await expect(pool.embed([{ key: 'a', file: 'x.jpg' }])).rejects.toThrow(/SIGSEGV/);
    await pool.close();
  });

  it('uses only TF.js threads when TF.js is forced', async () => {
    process.env['OCELLUS_ENGINE'] = 'tfjs';
    const pool = await EmbedPool.start(config, writeWorker(tmp.dir), 2);
    expect(pool.info?.engine).toBe('tfjs');
    expect(pool.info?.workers).toBe(2);
    expect(pool.childPids()).toHaveLength(0);
    await pool.close();
  });
});
