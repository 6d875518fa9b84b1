/**
 * The head-training worker: trains one classifier head on its own TF.js instance, so the
 * app's event loop (UI answers, labelling) never waits on a training step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../ml/tf-runtime';
import { trainHead } from './head-trainer';
import type { FromHeadWorker, HeadWorkerStart } from './head-worker-protocol';

const port = parentPort;
if (!port) throw new Error('head-worker must run as a worker thread');
const start = workerData as HeadWorkerStart;
const stop = new Int32Array(start.stop);
const send = (msg: FromHeadWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

void (async () => {
  try {
    await initBackend(start.backend);
    const result = await trainHead(start.data, start.config, {
      shouldStop: () => Atomics.load(stop, 0) === 1,
      onBatch: (epoch, batch, batches, loss, accuracy) =>
        send({ type: 'batch', epoch, batch, batches, loss, accuracy }),
      onEpoch: (metrics) => send({ type: 'epoch', metrics }),
    });
    const w = result.weights;
    send(
      { type: 'done', result },
      [w.w1, w.b1, w.w2, w.b2].map((a) => a.buffer as ArrayBuffer),
    );
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
})();
