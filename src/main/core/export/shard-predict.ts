import crypto from 'node:crypto';
import fs from 'node:fs';
import { OcellusError } from '../../../shared/errors';
import type {
  ManifestPredictResult,
  PredictInput,
  PredictionRecord,
  ShardSpec,
} from '../../../shared/types';
import { MAX_IMAGE_BYTES } from '../library/probe';
import { openForAppend } from '../util/fs-atomic';
import { withSafeFile } from '../util/safe-fs';
import { countShard, inShard, manifestItems, predictInputs } from './manifest';
import type { PredictionRow, Predictor } from './predictor';

/** What a manifest run reports to (a job's progress, in files of the manifest, and cancel). */
export interface ManifestProgress {
  progress(done: number, total?: number): void;
  throwIfCancelled(): void;
}

export interface ManifestRun {
  manifest: string;
  shard?: ShardSpec;
  out: string;
  resume?: boolean;
  batchSize?: number;
}

/** One record to write: the manifest's own text for the file, and what the classifier gets. */
interface Target {
  key: string;
  input: PredictInput;
  /** The file's last record (its last frame): once written, the file is done. */
  last: boolean;
}

/**
 * Classifies the images of a manifest (or of one shard) into a JSON Lines file, one record
 * per image (per frame of a multi-frame DICOM) in manifest order. Each batch is appended by one write and flushed to disk, so
 * a killed task loses at most the batch in flight; `resume` cuts a torn last line and goes
 * on after the records already there.
 */
export async function predictManifest(
  predictor: Predictor,
  run: ManifestRun,
  job: ManifestProgress,
): Promise<ManifestPredictResult> {
  const started = Date.now();
  const total = await countShard(run.manifest, run.shard);
  const { fd, done } = openOutput(run);
  const batchSize = Math.max(1, run.batchSize ?? 16);
  let seen = 0;
  let written = 0;
  let errors = 0;
  // Progress counts files (manifest lines, what `total` counts): a multi-frame DICOM writes a
  // record per frame, so records would run past the total.
  let filesDone = 0;
  let files = 0;
  let batch: Target[] = [];
  const flush = async () => {
    const r = await writeBatch(predictor, fd, batch);
    written += r.rows;
    errors += r.errors;
    filesDone += batch.filter((b) => b.last).length;
    batch = [];
    job.progress(filesDone, total);
  };
  try {
    job.progress(0, total);
    for await (const item of manifestItems(run.manifest)) {
      if (!inShard(item.index, run.shard)) continue;
      const inputs = await predictInputs(item.file);
      let pushed = false;
      for (const [k, input] of inputs.entries()) {
        seen++;
        if (seen < done.count) continue;
        const frame = typeof input === 'string' ? undefined : input.frame;
        if (seen === done.count) {
          if (item.path !== done.lastPath || frame !== done.lastFrame)
            throw new OcellusError(
              'INVALID_ARGUMENT',
              `${run.out} does not continue this manifest (record ${seen} is ${done.lastPath}, the manifest says ${item.path}); was it written for another manifest or shard?`,
            );
          continue;
        }
        job.throwIfCancelled();
        if (!pushed && files === 0 && filesDone > 0) job.progress(filesDone, total);
        if (!pushed) files++;
        pushed = true;
        batch.push({ key: item.path, input, last: k === inputs.length - 1 });
        if (batch.length >= batchSize) await flush();
      }
      // Every record of this file was there already (resuming).
      if (!pushed) filesDone++;
    }
    if (batch.length) await flush();
    // Everything was there already: the files done are all of them.
    else if (files === 0) job.progress(filesDone, total);
  } finally {
    fs.closeSync(fd);
  }
  if (seen < done.count)
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${run.out} holds ${done.count} records but this shard of the manifest makes only ${seen}`,
    );
  return {
    out: run.out,
    total,
    files,
    resumed: done.count,
    written,
    errors,
    seconds: (Date.now() - started) / 1000,
    engine: predictor.engine,
  };
}

/** The output file, open to append; an existing one only to resume, after its complete records. */
function openOutput(run: ManifestRun): { fd: number; done: ReturnType<typeof completeRecords> } {
  const { fd, existed } = openForAppend(run.out);
  try {
    if (existed && !run.resume && fs.fstatSync(fd).size > 0)
      throw new OcellusError(
        'ALREADY_EXISTS',
        `${run.out} already holds predictions: pass --resume to continue it, or remove it`,
      );
    return { fd, done: existed && run.resume ? completeRecords(fd) : { count: 0, lastPath: null } };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** Classifies a batch and appends its records in one write, flushed to disk. */
async function writeBatch(
  predictor: Predictor,
  fd: number,
  batch: readonly Target[],
): Promise<{ rows: number; errors: number }> {
  const rows = await predictor.predict(batch.map((b) => b.input));
  const hashes = await Promise.all(rows.map((r) => (r.error ? null : sha256(r.path))));
  const text = rows
    .map(
      (row, i) =>
        `${JSON.stringify(toRecord(batch[i]?.key ?? row.path, hashes[i] ?? null, row, predictor.classes))}\n`,
    )
    .join('');
  fs.writeSync(fd, text);
  fs.fsyncSync(fd);
  return { rows: rows.length, errors: rows.filter((r) => r.error).length };
}

/** One JSON Lines record of a prediction row. */
export function toRecord(
  key: string,
  hash: string | null,
  row: PredictionRow,
  classes: readonly string[],
): PredictionRecord {
  return {
    path: key,
    ...(row.frame === undefined ? {} : { frame: row.frame }),
    sha256: hash,
    label: row.error ? null : row.label,
    confidence: row.confidence,
    probabilities: row.probabilities
      ? Object.fromEntries(classes.map((c, k) => [c, row.probabilities?.[k] ?? 0]))
      : null,
    decision: row.error ? null : (row.decision ?? null),
    error: row.error,
  };
}

// Through the safe reader: a file swapped for a FIFO or a device after it was classified
// gets no hash instead of hanging the task or hashing forever.
async function sha256(file: string): Promise<string | null> {
  try {
    const hash = crypto.createHash('sha256');
    await withSafeFile(file, { maxBytes: MAX_IMAGE_BYTES }, (f) =>
      f.forEachChunk((chunk) => {
        hash.update(chunk);
      }),
    );
    return hash.digest('hex');
  } catch {
    return null;
  }
}

/**
 * Counts the complete records of an output file (open for reading and writing), cutting a torn last line (a write cut short
 * by a kill), and returns the last record's path (and frame). Reads in chunks: bounded memory.
 */
export function completeRecords(fd: number): {
  count: number;
  lastPath: string | null;
  lastFrame?: number;
} {
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(1 << 20);
  let count = 0;
  let lastStart = 0;
  let prevStart = 0;
  for (let pos = 0; pos < size;) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    for (let i = buf.indexOf(10, 0); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) {
      count++;
      prevStart = lastStart;
      lastStart = pos + i + 1;
    }
    pos += n;
  }
  if (lastStart < size) fs.ftruncateSync(fd, lastStart);
  if (count === 0) return { count: 0, lastPath: null };
  const line = Buffer.alloc(lastStart - prevStart);
  fs.readSync(fd, line, 0, line.length, prevStart);
  const record = JSON.parse(line.toString('utf8')) as PredictionRecord;
  return { count, lastPath: record.path, lastFrame: record.frame };
}
