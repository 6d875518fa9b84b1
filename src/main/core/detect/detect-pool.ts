import { OcellusError } from '../../../shared/errors';
import { mlProcessLauncher, type MlChildProcess } from '../ml/embed-pool';
import type { BackendName } from '../ml/tf-runtime';
import { createDetector, type Detector } from './detector-engine';
import { detectBatch } from './detect-runner';
import type {
  DetectItem,
  DetectOutcome,
  FromDetectWorker,
  ToDetectWorker,
} from './detect-protocol';
import type { DetectorSpec } from './detector-spec';

/** The same channel as the ML child process, speaking the detector's protocol. */
interface DetectChild {
  readonly pid?: number | undefined;
  send(msg: ToDetectWorker): void;
  on(event: 'message', fn: (msg: FromDetectWorker) => void): unknown;
  on(event: 'exit', fn: (code: number | null, signal?: NodeJS.Signals | null) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  kill(): unknown;
}

interface Pending {
  resolve: (outcomes: DetectOutcome[]) => void;
  reject: (err: Error) => void;
}

export interface DetectPoolInfo {
  engine: 'onnx' | 'tfjs';
  backend: BackendName | null;
}

/**
 * Runs a detector in its own child process (in this process when no worker file is given,
 * as in unit tests). A crashed process fails its batches with a clear error; the app lives on.
 */
export class DetectPool {
  private child: DetectChild | null = null;
  private local: Detector | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: string | null = null;
  info: DetectPoolInfo = { engine: 'tfjs', backend: null };

  private constructor() {}

  /** Loads the detector, in a child process running `workerFile` or (null) here. */
  static async start(
    spec: DetectorSpec,
    workerFile: string | null,
    options: { backend?: BackendName | null; minConfidence?: number } = {},
  ): Promise<DetectPool> {
    const pool = new DetectPool();
    const minConfidence = options.minConfidence ?? 0.05;
    if (!workerFile) {
      pool.local = await createDetector(spec, { backend: options.backend, minConfidence });
      pool.info = { engine: pool.local.runtime.engine, backend: pool.local.runtime.backend };
      return pool;
    }
    // The launcher's channel is typed for the embedding protocol; this one carries the detector's.
    const child = mlProcessLauncher()(workerFile) as unknown as DetectChild & MlChildProcess;
    pool.child = child;
    await new Promise<void>((resolve, reject) => {
      child.on('message', (msg: FromDetectWorker) => {
        if (msg.type === 'ready') {
          pool.info = { engine: msg.engine, backend: msg.backend };
          resolve();
        } else if (msg.type === 'failed' && msg.id === null) {
          reject(new OcellusError('UNSUPPORTED', `The detector did not load: ${msg.message}`));
        } else if (msg.type === 'failed' && msg.id !== null) {
          pool.settle(msg.id, null, new OcellusError('INTERNAL', msg.message));
        } else if (msg.type === 'detected') {
          pool.settle(msg.id, msg.outcomes, null);
        }
      });
      const died = (why: string) => {
        pool.dead = why;
        for (const p of pool.pending.values()) p.reject(new OcellusError('INTERNAL', why));
        pool.pending.clear();
        reject(new OcellusError('INTERNAL', why));
      };
      child.on('error', (err) => died(`The detector process failed: ${err.message}`));
      child.on('exit', (code, signal) =>
        died(
          code === 0
            ? 'The detector process stopped'
            : `The detector process stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`,
        ),
      );
      child.send({
        type: 'init',
        spec,
        backend: options.backend ?? null,
        minConfidence,
      });
    }).catch(async (err: unknown) => {
      await pool.close();
      throw err;
    });
    return pool;
  }

  private settle(id: number, outcomes: DetectOutcome[] | null, err: Error | null): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (outcomes) p?.resolve(outcomes);
    else p?.reject(err ?? new Error('No result'));
  }

  /** Detects in one batch; resolves with an outcome per item, in order. */
  detect(items: DetectItem[]): Promise<DetectOutcome[]> {
    if (this.local) return detectBatch(this.local, items);
    const child = this.child;
    if (!child || this.dead) {
      return Promise.reject(new OcellusError('INTERNAL', this.dead ?? 'The detector is closed'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ type: 'detect', id, items });
    });
  }

  /** The detector process's id, for diagnostics and tests. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Stops the detector (pending batches fail as cancelled). */
  async close(): Promise<void> {
    this.local?.dispose();
    this.local = null;
    for (const p of this.pending.values()) p.reject(new OcellusError('CANCELLED', 'Cancelled'));
    this.pending.clear();
    this.dead ??= 'The detector is closed';
    this.child?.kill();
    this.child = null;
    await Promise.resolve();
  }
}
