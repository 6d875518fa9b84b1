import { fork } from 'node:child_process';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { OcellusError } from '../../../shared/errors';
import type { EmbedItem, EmbedOutcome, EngineConfig, EngineName } from './embed-engine';
import { createInferenceEngine, forcedEngine, type InferenceEngine } from './inference-engine';
import type { BackendName } from './tf-runtime';
import type { FromWorker, ToWorker } from './worker-protocol';

interface Pending {
  resolve: (outcomes: EmbedOutcome[]) => void;
  reject: (err: Error) => void;
}

/** A child process running the ML worker script: what the pool needs of it. */
export interface MlChildProcess {
  readonly pid?: number | undefined;
  send(msg: ToWorker): void;
  on(event: 'message', fn: (msg: FromWorker) => void): unknown;
  on(event: 'exit', fn: (code: number | null, signal?: NodeJS.Signals | null) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  kill(): unknown;
}

/** Starts the ML worker script in a child process. */
export type MlProcessLauncher = (file: string) => MlChildProcess;

// 'advanced' serialisation carries typed arrays across the process boundary.
const forkLauncher: MlProcessLauncher = (file) =>
  fork(file, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let launcher: MlProcessLauncher = forkLauncher;

/**
 * Replaces how ML child processes start. The Electron shell passes one built on
 * utilityProcess: child_process.fork would need the RunAsNode fuse, which packaging turns off.
 */
export function setMlProcessLauncher(next: MlProcessLauncher | null): void {
  launcher = next ?? forkLauncher;
}

interface Slot {
  worker: Worker | MlChildProcess;
  inFlight: number;
  pending: Map<number, Pending>;
  dead: boolean;
  /** Batches allowed in flight: the bounded prefetch queue of this worker. */
  limit: number;
}

export interface PoolInfo {
  size: number;
  featureLayer: string;
  backend: BackendName;
  workers: number;
  engine: EngineName;
  /** Why the engine is what it is (a fallback's reason), or ''. */
  note: string;
}

const IN_FLIGHT_PER_WORKER = 2;
/** The single ONNX Runtime process decodes ahead a little further so its threads never wait. */
const IN_FLIGHT_ONNX = 4;

/**
 * Embeds batches on a pool of worker threads (or in-process when no worker file is given,
 * as in unit tests). A crashed worker fails its batches with a clear error; the app lives on.
 */
export class EmbedPool {
  private readonly slots: Slot[] = [];
  private local: InferenceEngine | null = null;
  private config: EngineConfig | null = null;
  private workerFile: string | null = null;
  private fallingBack: Promise<void> | null = null;
  private nextId = 1;
  private waiters: (() => void)[] = [];
  private closed = false;
  info: PoolInfo | null = null;

  private constructor() {}

  /** Starts `workers` threads running `workerFile` (null: in this thread). */
  static async start(
    config: EngineConfig,
    workerFile: string | null,
    workers?: number,
  ): Promise<EmbedPool> {
    const pool = new EmbedPool();
    pool.config = config;
    pool.workerFile = workerFile;
    if (!workerFile) {
      pool.local = await createInferenceEngine(config);
      pool.info = {
        size: pool.local.size,
        featureLayer: pool.local.featureLayer,
        backend: config.backend ?? 'wasm',
        workers: 0,
        engine: pool.local.engine,
        note: pool.local.note,
      };
      return pool;
    }
    const n = workers ?? defaultWorkers(config.backend ?? null);
    const forced = forcedEngine(config.engine);
    try {
      if (forced !== 'tfjs') {
        // ONNX Runtime runs in its own process with every core: a native crash ends only it.
        let first: Omit<PoolInfo, 'workers'> | null = null;
        let reason = '';
        try {
          first = await pool.spawn(workerFile, config, 'process');
        } catch (err) {
          if (forced === 'onnx') throw err;
          reason = `ONNX Runtime failed: ${err instanceof Error ? err.message : String(err)}`;
        }
        if (first?.engine === 'onnx') {
          pool.info = { ...first, workers: 1 };
          return pool;
        }
        pool.info = await pool.spawnTfjs(n - (first ? 1 : 0), first?.note || reason, first);
        return pool;
      }
      pool.info = await pool.spawnTfjs(n, '', null);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Process ids of the ML child processes (ONNX Runtime), for diagnostics and tests. */
  childPids(): number[] {
    return this.slots.flatMap((s) =>
      !s.dead && !(s.worker instanceof Worker) && s.worker.pid ? [s.worker.pid] : [],
    );
  }

  private async spawnTfjs(
    n: number,
    note: string,
    first: Omit<PoolInfo, 'workers'> | null,
  ): Promise<PoolInfo> {
    const config = { ...(this.config as EngineConfig), engine: 'tfjs' as const };
    const file = this.workerFile as string;
    const infos = await Promise.all(
      Array.from({ length: n }, () => this.spawn(file, config, 'thread')),
    );
    const info = first ?? infos[0];
    if (!info) throw new OcellusError('INTERNAL', 'No ML worker started');
    return { ...info, engine: 'tfjs', note, workers: this.slots.filter((s) => !s.dead).length };
  }

  /** After the ONNX Runtime process died: TF.js threads take over, once. */
  private fallBack(reason: string): Promise<void> {
    this.fallingBack ??= (async () => {
      const n = defaultWorkers(this.config?.backend ?? null);
      this.info = await this.spawnTfjs(n, reason, null);
    })();
    return this.fallingBack;
  }

  /** Embeds one batch; resolves with an outcome per item, in order. */
  async embed(items: EmbedItem[]): Promise<EmbedOutcome[]> {
    if (this.local) return this.local.infer(await this.local.prepare(items));
    try {
      return await this.embedOnWorker(items);
    } catch (err) {
      const onnx = this.info?.engine === 'onnx';
      if (!onnx || forcedEngine(this.config?.engine) === 'onnx' || this.closed) throw err;
      // The ONNX Runtime process crashed: the batch is redone on TF.js, and so is the rest.
      await this.fallBack(
        `ONNX Runtime crashed, fell back to TF.js: ${err instanceof Error ? err.message : String(err)}`,
      );
      return this.embedOnWorker(items);
    }
  }

  private async embedOnWorker(items: EmbedItem[]): Promise<EmbedOutcome[]> {
    const slot = await this.freeSlot();
    const id = this.nextId++;
    slot.inFlight++;
    try {
      return await new Promise<EmbedOutcome[]>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        const msg: ToWorker = { type: 'embed', id, items };
        if (slot.worker instanceof Worker) slot.worker.postMessage(msg);
        else slot.worker.send(msg);
      });
    } finally {
      slot.inFlight--;
      this.waiters.shift()?.();
    }
  }

  /** How many batches may be in flight at once for full throughput. */
  get parallelism(): number {
    if (this.local) return 1;
    const live = this.slots.filter((s) => !s.dead);
    return Math.max(
      1,
      live.reduce((n, s) => n + s.limit, 0),
    );
  }

  /** Stops every worker (pending batches fail as cancelled). */
  async close(): Promise<void> {
    this.closed = true;
    this.local?.dispose();
    this.local = null;
    await Promise.all(
      this.slots.map(async (s) => {
        s.dead = true;
        for (const p of s.pending.values()) p.reject(new OcellusError('CANCELLED', 'Cancelled'));
        s.pending.clear();
        if (s.worker instanceof Worker) await s.worker.terminate();
        else s.worker.kill();
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
      if (slot && slot.inFlight < slot.limit) return slot;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private spawn(
    file: string,
    config: EngineConfig,
    kind: 'thread' | 'process',
  ): Promise<Omit<PoolInfo, 'workers'>> {
    const worker = kind === 'thread' ? new Worker(file) : launcher(file);
    const slot: Slot = {
      worker,
      inFlight: 0,
      pending: new Map(),
      dead: false,
      limit: kind === 'process' ? IN_FLIGHT_ONNX : IN_FLIGHT_PER_WORKER,
    };
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
          resolve({
            size: msg.size,
            featureLayer: msg.featureLayer,
            backend: msg.backend,
            engine: msg.engine ?? 'tfjs',
            note: msg.note ?? '',
          });
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
      worker.on('exit', (code: number | null, signal?: NodeJS.Signals | null) => {
        const why =
          code !== 0
            ? `The ML worker stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`
            : 'The ML worker stopped';
        failAll(why);
        reject(new OcellusError('INTERNAL', why));
      });
      const init: ToWorker = { type: 'init', config };
      if (worker instanceof Worker) worker.postMessage(init);
      else worker.send(init);
    });
  }
}

/** One worker per core for single-threaded backends; native TensorFlow threads itself. */
export function defaultWorkers(backend: BackendName | null): number {
  return backend === 'tensorflow' ? 1 : Math.max(1, os.availableParallelism());
}

/** How ML child processes start now (fork, or the Electron shell's utility process); the detector runs in one too. */
export function mlProcessLauncher(): MlProcessLauncher {
  return launcher;
}
