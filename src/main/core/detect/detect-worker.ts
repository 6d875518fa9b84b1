/**
 * The detector process: one detector network (ONNX Runtime or TF.js) in its own process, so
 * a native crash ends only it and the app's event loop stays free while it runs.
 */
import { createDetector, type Detector } from './detector-engine';
import { detectBatch } from './detect-runner';
import type { FromDetectWorker, ToDetectWorker } from './detect-protocol';
import { activeBackend } from '../ml/tf-runtime';

/** Electron's utility process hands its parent channel over as `process.parentPort`. */
interface UtilityParentPort {
  postMessage(msg: unknown): void;
  on(event: 'message', fn: (e: { data: unknown }) => void): void;
}
const utilityPort = (process as { parentPort?: UtilityParentPort }).parentPort;
const childSend = process.send?.bind(process);
const send = (msg: FromDetectWorker) =>
  utilityPort ? utilityPort.postMessage(msg) : childSend?.(msg);
const onMessage = (fn: (msg: ToDetectWorker) => void) =>
  utilityPort
    ? utilityPort.on('message', (e) => fn(e.data as ToDetectWorker))
    : process.on('message', fn);
if (!utilityPort && !childSend) throw new Error('detect-worker must run as a child process');

let detector: Detector | null = null;
let chain: Promise<void> = Promise.resolve();
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

onMessage((msg) => {
  if (msg.type === 'init') {
    createDetector(msg.spec, { backend: msg.backend, minConfidence: msg.minConfidence }).then(
      (d) => {
        detector = d;
        send({ type: 'ready', engine: d.runtime.engine, backend: activeBackend() });
      },
      (err: unknown) => send({ type: 'failed', id: null, message: errText(err) }),
    );
  } else if (msg.type === 'detect') {
    const current = detector;
    if (!current) {
      send({ type: 'failed', id: msg.id, message: 'The detector is not loaded' });
      return;
    }
    chain = chain.then(async () => {
      try {
        send({ type: 'detected', id: msg.id, outcomes: await detectBatch(current, msg.items) });
      } catch (err) {
        send({ type: 'failed', id: msg.id, message: errText(err) });
      }
    });
  } else if (msg.type === 'close') {
    void chain.finally(() => {
      detector?.dispose();
      process.exit(0);
    });
  }
});
