import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { OcellusError } from '../../../../../src/shared/errors';
import {
  headWorkerBeside,
  trainHeadOffThread,
} from '../../../../../src/main/core/train/head-runner';
import {
  DEFAULT_HEAD,
  trainHead,
  type HeadData,
} from '../../../../../src/main/core/train/head-trainer';
import { seededRandom } from '../../../../../src/main/core/util/rng';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const REPO = path.resolve(__dirname, '../../../../..');
const BUILT = path.join(REPO, 'out/main/embed-worker.js');

function data(n: number, seed: number): HeadData {
  const r = seededRandom(seed);
  const dim = 16;
  const make = (count: number) => {
    const x = new Float32Array(count * dim);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      y[i] = i % 2;
      for (let d = 0; d < dim; d++) x[i * dim + d] = (d < 8 === (i % 2 === 0) ? 1 : 0) + r() - 0.5;
    }
    return { x, y };
  };
  const train = make(n);
  const val = make(40);
  return { dim, classes: 2, xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y };
}

/** The real worker script, as `npm run build` writes it (built here when missing). */
function builtHeadWorker(): string {
  if (!headWorkerBeside(BUILT)) execFileSync('npx', ['electron-vite', 'build'], { cwd: REPO });
  const file = headWorkerBeside(BUILT);
  if (!file) throw new Error('out/main/head-worker.js was not built');
  return file;
}

describe('head training on a worker thread', () => {
  let worker: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    worker = builtHeadWorker();
  }, 120_000);

  it('gives the same run as training in this thread, and relays every batch and epoch', async () => {
    const cfg = { ...DEFAULT_HEAD, hiddenUnits: 8, epochs: 3, batchSize: 16, patience: 0, seed: 3 };
    const here = await trainHead(data(96, 1), cfg);
    let batches = 0;
    const epochs: number[] = [];
    const there = await trainHeadOffThread(
      data(96, 1),
      cfg,
      { onBatch: () => batches++, onEpoch: (m) => epochs.push(m.epoch) },
      { workerFile: worker, backend: 'cpu' },
    );
    expect(batches).toBe(3 * 6);
    expect(epochs).toEqual([1, 2, 3]);
    expect(there.history.map((m) => m.valLoss)).toEqual(here.history.map((m) => m.valLoss));
    expect(Array.from(there.weights.w2)).toEqual(Array.from(here.weights.w2));
  });

  it('stops at the next batch once cancelled: none after a cancel before the start', async () => {
    const cfg = { ...DEFAULT_HEAD, hiddenUnits: 8, epochs: 50, batchSize: 8, patience: 0 };
    const before = new AbortController();
    before.abort();
    let batches = 0;
    const none = await trainHeadOffThread(
      data(640, 2),
      cfg,
      { onBatch: () => batches++ },
      { workerFile: worker, backend: 'cpu', signal: before.signal },
    );
    expect(none.cancelled).toBe(true);
    expect(batches).toBe(0);

    // Mid-run, batches already posted before the flag was set still arrive; the worker
    // itself stops at its next batch, long before the 4,000 it was asked for (the bound leaves
    // room for a slow main thread).
    const during = new AbortController();
    batches = 0;
    const res = await trainHeadOffThread(
      data(640, 2),
      cfg,
      {
        onBatch: (epoch, batch) => {
          batches++;
          if (epoch === 1 && batch === 3) during.abort();
        },
      },
      { workerFile: worker, backend: 'cpu', signal: during.signal },
    );
    expect(res.cancelled).toBe(true);
    expect(res.history.length).toBeLessThan(cfg.epochs);
    expect(batches).toBeLessThan(2000);
  });

  it('reports a worker that dies as an error', async () => {
    const tmp = makeTmpDir();
    const file = path.join(tmp.dir, 'dying-worker.cjs');
    fs.writeFileSync(file, 'process.exit(7);');
    const err = await trainHeadOffThread(
      data(16, 3),
      DEFAULT_HEAD,
      {},
      {
        workerFile: file,
        backend: 'cpu',
      },
    ).catch((e: unknown) => e);
    tmp.cleanup();
    expect(err).toBeInstanceOf(OcellusError);
    expect((err as Error).message).toMatch(/exit code 7/);
  });
});
