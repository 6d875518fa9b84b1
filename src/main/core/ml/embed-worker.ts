/**
 * The ML worker thread: one TF.js instance (one wasm module, single-threaded under Node)
 * per worker, so a pool of them uses every core and the app's event loop stays free.
 */
import { parentPort } from 'node:worker_threads';
import { EmbedEngine, type PreparedBatch } from './embed-engine';
import type { FromWorker, ToWorker } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('embed-worker must run as a worker thread');

let engine: EmbedEngine | null = null;
// Batches are decoded as soon as they arrive and inferred in order, so decoding the next
// batch (on sharp's threads) overlaps with inference of the current one.
let chain: Promise<void> = Promise.resolve();

const send = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    EmbedEngine.create(msg.config).then(
      (e) => {
        engine = e;
        send({ type: 'ready', size: e.size, featureLayer: e.featureLayer, backend: e.backend });
      },
      (err: unknown) => send({ type: 'failed', id: null, message: errText(err) }),
    );
  } else if (msg.type === 'embed') {
    const current = engine;
    if (!current) {
      send({ type: 'failed', id: msg.id, message: 'The ML worker is not initialised' });
      return;
    }
    const prepared: Promise<PreparedBatch> = current.prepare(msg.items);
    chain = chain.then(async () => {
      try {
        const outcomes = current.infer(await prepared);
        const dim = current.size;
        const vectors = new Float32Array(outcomes.length * dim);
        outcomes.forEach((o, i) => o.vector && vectors.set(o.vector, i * dim));
        send(
          {
            type: 'embedded',
            id: msg.id,
            keys: outcomes.map((o) => o.key),
            errors: outcomes.map((o) => (o.vector ? null : (o.error ?? 'No output'))),
            vectors,
            dim,
            numTensors: current.numTensors(),
          },
          [vectors.buffer as ArrayBuffer],
        );
      } catch (err) {
        send({ type: 'failed', id: msg.id, message: errText(err) });
      }
    });
  } else if (msg.type === 'close') {
    void chain.finally(() => {
      engine?.dispose();
      process.exit(0);
    });
  }
});

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
