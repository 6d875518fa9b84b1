import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { OcellusError } from '../../../shared/errors';
import { EmbedEngine, type EmbedItem, type EmbedOutcome, type EngineConfig } from './embed-engine';
import type { BackendName } from './tf-runtime';
import type { FromWorker, ToWorker } from './worker-protocol';

interface Pending {
  resolve: (outcomes: EmbedOutcome[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  pending: Map<number, Pending>;
  dead: boolean;
}

export interface PoolInfo {
  size: number;
  featureLayer: string;
  backend: BackendName;
  workers: number;
}

const IN_FLIGHT_PER_WORKER = 2;

/**
 * Embeds batches on a pool of worker threads (or in-process when no worker file is given,
 * as in unit tests). A crashed worker fails its batches with a clear error; the app lives on.
 */
export class EmbedPool {
  private readonly slots: Slot[] = [];
  private local: EmbedEngine | null = null;
  private nextId = 1;
  private waiters: (() => void)[] = [];
  info: PoolInfo | null = null;

  private constructor() {}

  /** Starts `workers` threads running `workerFile` (null: in this thread). */
  static async start(
    config: EngineConfig,
    workerFile: string | null,
    workers?: number,
  ): Promise<EmbedPool> {
    const pool = new EmbedPool();
    if (!workerFile) {
      pool.local = await EmbedEngine.create(config);
      pool.info = {
        size: pool.local.size,
        featureLayer: pool.local.featureLayer,
        backend: pool.local.backend,
        workers: 0,
      };
      return pool;
    }
    const n = workers ?? defaultWorkers(config.backend ?? null);
    try {
      const infos = await Promise.all(
        Array.from({ length: n }, () => pool.spawn(workerFile, config)),
      );
      const first = infos[0];
      if (!first) throw new OcellusError('INTERNAL', 'No ML worker started');
      pool.info = { ...first, workers: n };
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Embeds one batch; resolves with an outcome per item, in order. */
  async embed(items: EmbedItem[]): Promise<EmbedOutcome[]> {
    if (this.local) return this.local.infer(await this.local.prepare(items));
    const slot = await this.freeSlot();
    const id = this.nextId++;
    slot.inFlight++;
    try {
      return await new Promise<EmbedOutcome[]>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ type: 'embed', id, items } satisfies ToWorker);
      });
    } finally {
      slot.inFlight--;
      this.waiters.shift()?.();
    }
  }

  /** How many batches may be in flight at once for full throughput. */
  get parallelism(): number {
    return this.local ? 1 : this.slots.length * IN_FLIGHT_PER_WORKER;
  }

  /** Stops every worker (pending batches fail as cancelled). */
  async close(): Promise<void> {
    this.local?.dispose();
    this.local = null;
    await Promise.all(
      this.slots.map(async (s) => {
        s.dead = true;
        for (const p of s.pending.values()) p.reject(new OcellusError('CANCELLED', 'Cancelled'));
        s.pending.clear();
        await s.worker.terminate();
      }),
    );
    this.slots.length = 0;
    for (const w of this.waiters.splice(0)) w();
  }

  private async freeSlot(): Promise<Slot> {
    for (;;) {
      const live = this.slots.filter((s) => !s.dead);
      if (live.length === 0) throw new OcellusError('INTERNAL', 'Every ML worker has stopped');
      const slot = live.sort((a, b) => a.inFlight - b.inFlight)[0];
      if (slot && slot.inFlight < IN_FLIGHT_PER_WORKER) return slot;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private spawn(file: string, config: EngineConfig): Promise<Omit<PoolInfo, 'workers'>> {
    const worker = new Worker(file);
    const slot: Slot = { worker, inFlight: 0, pending: new Map(), dead: false };
    this.slots.push(slot);
    const failAll = (message: string) => {
      if (slot.dead) return;
      slot.dead = true;
      for (const p of slot.pending.values()) p.reject(new OcellusError('INTERNAL', message));
      slot.pending.clear();
      for (const w of this.waiters.splice(0)) w();
    };
    return new Promise((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready')
          resolve({ size: msg.size, featureLayer: msg.featureLayer, backend: msg.backend });
        else if (msg.type === 'failed' && msg.id === null)
          reject(new OcellusError('UNSUPPORTED', msg.message));
        else if (msg.type === 'failed' && msg.id !== null) {
          slot.pending.get(msg.id)?.reject(new OcellusError('INTERNAL', msg.message));
          slot.pending.delete(msg.id);
        } else if (msg.type === 'embedded') {
          const p = slot.pending.get(msg.id);
          slot.pending.delete(msg.id);
          p?.resolve(
            msg.keys.map((key, i) =>
              msg.errors[i] === null
                ? { key, vector: msg.vectors.slice(i * msg.dim, (i + 1) * msg.dim) }
                : { key, error: msg.errors[i] ?? 'No output' },
            ),
          );
        }
      });
      worker.on('error', (err) => {
        failAll(`The ML worker crashed: ${err.message}`);
        reject(new OcellusError('INTERNAL', `The ML worker crashed: ${err.message}`));
      });
      worker.on('exit', (code) => {
        if (code !== 0) failAll(`The ML worker stopped unexpectedly (exit code ${code})`);
        else failAll('The ML worker stopped');
      });
      worker.postMessage({ type: 'init', config } satisfies ToWorker);
    });
  }
}

/** One worker per core for single-threaded backends; native TensorFlow threads itself. */
export function defaultWorkers(backend: BackendName | null): number {
  return backend === 'tensorflow' ? 1 : Math.max(1, os.availableParallelism());
}
