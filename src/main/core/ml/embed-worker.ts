/**
 * The ML worker: one TF.js instance (one wasm module, single-threaded under Node) per
 * worker thread, so a pool of them uses every core and the app's event loop stays free. The
 * same script also runs as a child process, for ONNX Runtime: a native crash there ends only
 * that process, and the pool falls back to TF.js.
 */
import { parentPort } from 'node:worker_threads';
import type { PreparedBatch } from './embed-engine';
import { activeBackend } from './tf-runtime';
import { createInferenceEngine, type InferenceEngine } from './inference-engine';
import type { FromWorker, ToWorker } from './worker-protocol';

interface Port {
  postMessage(msg: FromWorker, transfer?: ArrayBuffer[]): void;
  on(event: 'message', fn: (msg: ToWorker) => void): void;
}

/** Electron's utility process hands its parent channel over as `process.parentPort`. */
interface UtilityParentPort {
  postMessage(msg: unknown): void;
  on(event: 'message', fn: (e: { data: unknown }) => void): void;
}
const utilityPort = (process as { parentPort?: UtilityParentPort }).parentPort;
const childSend = process.send?.bind(process);
const port: Port | null =
  parentPort ??
  (utilityPort
    ? {
        postMessage: (msg) => utilityPort.postMessage(msg),
        on: (event, fn) => utilityPort.on(event, (e) => fn(e.data as ToWorker)),
      }
    : childSend
      ? {
          postMessage: (msg) => childSend(msg),
          on: (event, fn) => process.on(event, fn),
        }
      : null);
if (!port) throw new Error('embed-worker must run as a worker thread or a forked process');

let engine: InferenceEngine | null = null;
// Batches are decoded as soon as they arrive and inferred in order, so decoding the next
// batch (on sharp's threads) overlaps with inference of the current one.
let chain: Promise<void> = Promise.resolve();

const send = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    createInferenceEngine(msg.config).then(
      (e) => {
        engine = e;
        send({
          type: 'ready',
          size: e.size,
          featureLayer: e.featureLayer,
          backend: activeBackend() ?? msg.config.backend ?? 'wasm',
          engine: e.engine,
          note: e.note,
        });
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
        const outcomes = await current.infer(await prepared);
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
