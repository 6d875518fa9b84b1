import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { OcellusError } from '../../../shared/errors';
import type { BackendName } from '../ml/tf-runtime';
import {
  trainHead,
  type HeadConfig,
  type HeadData,
  type HeadHooks,
  type HeadResult,
} from './head-trainer';
import type { FromHeadWorker, HeadWorkerStart } from './head-worker-protocol';

/** The built head-training worker beside the ML worker script, when there is one. */
export function headWorkerBeside(mlWorkerFile: string | null | undefined): string | null {
  if (!mlWorkerFile) return null;
  const file = path.join(path.dirname(mlWorkerFile), 'head-worker.js');
  return fs.existsSync(file) ? file : null;
}

/**
 * Trains a head on a worker thread (`workerFile`), relaying its batches and epochs to
 * `hooks`; without a worker file it trains in this thread (unit tests, scripts). Cancelling
 * is seen by the worker before its next batch; a crashed worker is an error, not a crash.
 */
export function trainHeadOffThread(
  data: HeadData,
  config: HeadConfig,
  hooks: HeadHooks,
  options: { workerFile: string | null; backend: BackendName | null; signal?: AbortSignal },
): Promise<HeadResult> {
  if (!options.workerFile) return trainHead(data, config, hooks);
  const stop = new SharedArrayBuffer(4);
  const flag = new Int32Array(stop);
  const start: HeadWorkerStart = { data, config, backend: options.backend, stop };
  const worker = new Worker(options.workerFile, { workerData: start });
  const cancel = () => Atomics.store(flag, 0, 1);
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel);
  return new Promise<HeadResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', cancel);
      fn();
    };
    worker.on('message', (msg: FromHeadWorker) => {
      if (msg.type === 'batch') {
        if (hooks.shouldStop?.()) cancel();
        hooks.onBatch?.(msg.epoch, msg.batch, msg.batches, msg.loss, msg.accuracy);
      } else if (msg.type === 'epoch') hooks.onEpoch?.(msg.metrics);
      else if (msg.type === 'done') finish(() => resolve(msg.result));
      else finish(() => reject(new OcellusError('INTERNAL', `Training failed: ${msg.message}`)));
    });
    worker.on('error', (err) =>
      finish(() =>
        reject(new OcellusError('INTERNAL', `The training worker crashed: ${err.message}`)),
      ),
    );
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          new OcellusError(
            'INTERNAL',
            `The training worker stopped unexpectedly (exit code ${code})`,
          ),
        ),
      ),
    );
  });
}
