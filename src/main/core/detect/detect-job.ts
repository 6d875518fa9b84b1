import path from 'node:path';
import type Database from 'better-sqlite3';
import type { JobContext } from '../jobs/job-registry';
import type { BackendName } from '../ml/tf-runtime';
import { DetectPool } from './detect-pool';
import type { DetectItem } from './detect-protocol';
import { detectionTodo, readableContents, writeOutcomes } from './detection-store';
import type { DetectorSpec } from './detector-spec';

export interface DetectRunOptions {
  db: Database.Database;
  rootPath: (rootId: number) => string | null;
  spec: DetectorSpec;
  /** The cache key of the detector's results (detectorKey(spec)). */
  detector: string;
  /** The built detector process script, or null to run in this thread. */
  workerFile: string | null;
  backend?: BackendName | null;
  minConfidence?: number;
  batchSize?: number;
}

export interface DetectRunResult {
  detector: string;
  /** Readable images (distinct contents) the project has. */
  images: number;
  /** Processed in this run. */
  processed: number;
  /** Already processed by an earlier run (cached per content and detector). */
  cached: number;
  failed: number;
  boxes: number;
  seconds: number;
  imagesPerSecond: number;
  engine: 'onnx' | 'tfjs' | null;
}

/** Batches kept in flight so the detector process always has the next one decoded. */
const IN_FLIGHT = 2;

/**
 * Runs a detector over every readable image it has not processed yet, writing each batch as
 * it lands: cancelling or a crash loses at most the batches in flight, and the next run
 * carries on from there.
 */
export async function runDetection(
  ctx: JobContext,
  opts: DetectRunOptions,
): Promise<DetectRunResult> {
  const todo = detectionTodo(opts.db, opts.detector);
  const images = readableContents(opts.db);
  const result: DetectRunResult = {
    detector: opts.detector,
    images,
    processed: 0,
    cached: 0,
    failed: 0,
    boxes: 0,
    seconds: 0,
    imagesPerSecond: 0,
    engine: null,
  };
  result.cached = Math.max(0, images - todo.length);
  ctx.phase(`Loading ${opts.spec.name}`, todo.length);
  if (todo.length === 0) return result;
  const pool = await DetectPool.start(opts.spec, opts.workerFile, {
    backend: opts.backend ?? null,
    minConfidence: opts.minConfidence,
  });
  result.engine = pool.info.engine;
  ctx.phase(
    `Detecting with ${opts.spec.name} (${pool.info.engine === 'onnx' ? 'ONNX Runtime' : `TF.js, ${pool.info.backend ?? 'default backend'}`})`,
    todo.length,
  );
  const batchSize = opts.batchSize ?? 8;
  const batches: DetectItem[][] = [];
  for (let i = 0; i < todo.length; i += batchSize) {
    batches.push(
      todo.slice(i, i + batchSize).map((t) => {
        const root = opts.rootPath(t.rootId) ?? '';
        const file = path.join(root, ...t.relPath.split('/'));
        return { key: t.hash, file, root, frame: t.frame };
      }),
    );
  }
  const started = Date.now();
  try {
    let next = 0;
    const lane = async () => {
      while (next < batches.length && !ctx.signal.aborted) {
        const batch = batches[next++];
        if (!batch) break;
        const outcomes = await pool.detect(batch);
        if (!opts.db.open || ctx.signal.aborted) return;
        const w = writeOutcomes(opts.db, opts.detector, outcomes);
        result.boxes += w.boxes;
        result.failed += w.failed;
        result.processed += outcomes.length;
        ctx.progress(result.processed);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  } finally {
    await pool.close();
  }
  result.seconds = (Date.now() - started) / 1000;
  result.imagesPerSecond = result.seconds > 0 ? result.processed / result.seconds : 0;
  ctx.throwIfCancelled();
  return result;
}
