import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { CROP_MARGIN, type CropBox } from '../../../shared/crop';
import type { EmbeddingStatus } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import { modelInputPath } from '../library/model-input';
import type { EmbedItem, EmbedOutcome, InputView } from './embed-engine';
import { EmbedPool } from './embed-pool';
import { recordEngine } from './engine-status';
import { preprocessingKey } from './preprocess';
import type { BackendName } from './tf-runtime';
import type { OnnxIo, PreprocessingSpec } from './zoo-types';
import { contentsWithout } from '../library/image-table';

/** A base model ready to embed with: its files and how to feed it. */
export interface EmbedModel {
  id: string;
  modelJson: string;
  /** sha256 of model.json: a changed model never reuses old vectors. */
  modelSha: string;
  featureOutput: string;
  preprocessing: PreprocessingSpec;
  /** ONNX base models: input, embedding output and layout (modelJson is then the .onnx file). */
  onnx?: OnnxIo;
  /**
   * An augmented view instead of the plain image (feature-mode augmentation): its key joins
   * the embedding key, and `params` draws each image's view from its content hash.
   */
  view?: { key: string; params: (hash: string) => InputView | null };
}

export interface EmbedRunOptions {
  db: Database.Database;
  cacheDir: string;
  rootPath: (rootId: number) => string | null;
  model: EmbedModel;
  /** Built worker script, or null to run in this thread. */
  workerFile: string | null;
  workers?: number;
  backend?: BackendName | null;
  batchSize?: number;
  /** Only these images (by content hash), e.g. one run's split; default every readable image. */
  onlyHashes?: ReadonlySet<string>;
  /** Boxes to embed instead of images: each crop's cache key (cropEmbeddingHash), its file and box. */
  crops?: readonly CropItem[];
  /**
   * With `crops`: more models fed the same crops (augmented views of the same network),
   * embedded in the same pass, so each image is decoded once for all its boxes and views.
   */
  cropViews?: readonly EmbedModel[];
}

/** One box to embed: its crop's key in the cache, its image file (and frame) and the box. */
export interface CropItem {
  key: string;
  file: string;
  frame?: number;
  box: CropBox;
}

/**
 * The cache key of a box's crop, in place of a content hash: the image's content, the box
 * and the crop margin fix the crop's pixels (shared/crop.ts); the base and its geometry are
 * in the model key. So a crop vector is reused exactly when the network would see the same.
 */
export function cropEmbeddingHash(hash: string, box: CropBox): string {
  return `${hash}#box:${box.join(',')}:m${CROP_MARGIN}`;
}

export interface EmbedRunResult {
  embedded: number;
  failed: number;
  seconds: number;
  imagesPerSecond: number;
  dim: number | null;
  featureLayer: string | null;
  backend: BackendName | null;
  /** Inference engine used (absent before the pool started). */
  engine?: 'onnx' | 'tfjs';
}

/** The cache key of a model's embeddings: model content + preprocessing + feature output. */
export function embeddingKey(model: EmbedModel): string {
  const view = model.view ? `|view:${model.view.key}` : '';
  return `${model.id}@${model.modelSha.slice(0, 16)}|${preprocessingKey(model.preprocessing)}|${model.featureOutput}${view}`;
}

/** The model fed the mirrored network input (test-time augmentation's second view). */
export function mirrorModel(model: EmbedModel): EmbedModel {
  return { ...model, view: { key: 'mirror', params: () => 'mirror' } };
}

/** How many readable images with a human label have no embedding under this model key. */
export function labelledWithoutEmbedding(db: Database.Database, key: string): number {
  return (
    db
      .prepare(
        `SELECT COUNT(*) AS n FROM images i
          WHERE i.status = 'ok' AND i.missing = 0 AND i.hash IS NOT NULL
            AND EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id AND l.source = 'human')
            AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.hash = i.hash AND e.model_key = ?)`,
      )
      .get(key) as { n: number }
  ).n;
}

/** How many distinct readable images have (or failed to get) an embedding for a model. */
export function embeddingStatus(db: Database.Database, model: EmbedModel): EmbeddingStatus {
  const key = embeddingKey(model);
  const row = db
    .prepare(
      `SELECT COUNT(DISTINCT i.hash) AS total,
              COUNT(DISTINCT CASE WHEN e.vector IS NOT NULL THEN e.hash END) AS embedded,
              COUNT(DISTINCT CASE WHEN e.vector IS NULL AND e.id IS NOT NULL THEN e.hash END) AS failed,
              MAX(e.dim) AS dim
         FROM images i LEFT JOIN embeddings e ON e.hash = i.hash AND e.model_key = ?
        WHERE i.status = 'ok' AND i.missing = 0 AND i.hash IS NOT NULL`,
    )
    .get(key) as { total: number; embedded: number; failed: number; dim: number | null };
  return { modelId: model.id, ...row };
}

/** One vector to compute: the item fed to the network and where its vector goes. */
export interface EmbedTodo {
  item: EmbedItem;
  modelKey: string;
  hash: string;
}

/** Readable images without a vector under `key` (of `onlyHashes` when given), as embed items. */
function imagesToEmbed(opts: EmbedRunOptions, key: string): EmbedTodo[] {
  const rows = contentsWithout(opts.db, {
    sql: 'EXISTS (SELECT 1 FROM embeddings e WHERE e.model_key = ? AND e.hash = k.hash)',
    params: [key],
  });
  return rows
    .filter((t) => !opts.onlyHashes || opts.onlyHashes.has(t.hash))
    .map((t) => ({
      item: {
        key: t.hash,
        file: path.join(opts.rootPath(t.rootId) ?? '', ...t.relPath.split('/')),
        frame: t.frame,
        cache: modelInputPath(opts.cacheDir, t.hash, opts.model.preprocessing),
        view: opts.model.view?.params(t.hash) ?? null,
      },
      modelKey: key,
      hash: t.hash,
    }));
}

/**
 * The crops without a vector under each model, each once, an image's crops (every box, every
 * model) next to each other so that a batch holds all of them and decodes the image once.
 */
function cropsToEmbed(
  db: Database.Database,
  models: readonly EmbedModel[],
  crops: readonly CropItem[],
): EmbedTodo[] {
  const has = db.prepare('SELECT 1 FROM embeddings WHERE model_key = ? AND hash = ?');
  const byImage = new Map<string, CropItem[]>();
  for (const c of crops) {
    const image = `${c.frame ?? 0}:${c.file}`;
    const group = byImage.get(image);
    if (group) group.push(c);
    else byImage.set(image, [c]);
  }
  const out: EmbedTodo[] = [];
  for (const group of byImage.values()) {
    for (const m of models) {
      const modelKey = embeddingKey(m);
      const seen = new Set<string>();
      for (const c of group) {
        if (seen.has(c.key) || has.get(modelKey, c.key)) continue;
        seen.add(c.key);
        const view = m.view?.params(c.key) ?? null;
        const item = { key: c.key, file: c.file, frame: c.frame, box: c.box, view };
        out.push({ item, modelKey, hash: c.key });
      }
    }
  }
  return out;
}

/**
 * A crop embedding pass's batches: the crops without a vector under each of `models`, each
 * once, in batches of about `size` that keep each image's items together.
 */
export function cropBatches(
  db: Database.Database,
  models: readonly EmbedModel[],
  crops: readonly CropItem[],
  size: number,
): EmbedTodo[][] {
  return batchesOf(cropsToEmbed(db, models, crops), size);
}

/**
 * Batches of about `size` items that keep each image's items together (its crops share one
 * decode); an image with more items than `size` is split into batches of `size`.
 */
function batchesOf(todo: readonly EmbedTodo[], size: number): EmbedTodo[][] {
  const image = (t: EmbedTodo | undefined) => `${t?.item.frame ?? 0}:${t?.item.file}`;
  const batches: EmbedTodo[][] = [];
  let batch: EmbedTodo[] = [];
  const flush = () => {
    if (batch.length > 0) batches.push(batch);
    batch = [];
  };
  for (let i = 0, end = 1; i < todo.length; i = end, end = i + 1) {
    while (end < todo.length && image(todo[end]) === image(todo[i])) end++;
    if (batch.length + (end - i) > size) flush();
    for (const t of todo.slice(i, end)) {
      if (batch.length >= size) flush();
      batch.push(t);
    }
  }
  flush();
  return batches;
}

/** Reads one cached embedding, or null. */
export function readEmbedding(
  db: Database.Database,
  model: EmbedModel,
  hash: string,
): Float32Array | null {
  const row = db
    .prepare('SELECT vector FROM embeddings WHERE model_key = ? AND hash = ?')
    .get(embeddingKey(model), hash) as { vector: Buffer | null } | undefined;
  if (!row?.vector) return null;
  return new Float32Array(
    row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength),
  );
}

/**
 * Embeds every readable image that has no vector yet for this model, in batches on the
 * worker pool, writing each batch as it lands: cancelling or killing loses at most the
 * batches in flight, and the next run carries on from there.
 */
// eslint-disable-next-line max-lines-per-function -- the batch loop and the worker pool share the in-flight bookkeeping that makes a cancelled run resumable.
export async function runEmbedding(
  ctx: JobContext,
  opts: EmbedRunOptions,
): Promise<EmbedRunResult> {
  const batchSize = opts.batchSize ?? 16;
  const batches = opts.crops
    ? cropBatches(opts.db, [opts.model, ...(opts.cropViews ?? [])], opts.crops, batchSize)
    : batchesOf(imagesToEmbed(opts, embeddingKey(opts.model)), batchSize);
  const total = batches.reduce((n, b) => n + b.length, 0);
  const result: EmbedRunResult = {
    embedded: 0,
    failed: 0,
    seconds: 0,
    imagesPerSecond: 0,
    dim: null,
    featureLayer: null,
    backend: null,
  };
  ctx.phase(`Loading ${opts.model.id}`, total);
  if (total === 0) return result;
  const pool = await EmbedPool.start(
    {
      modelJson: opts.model.modelJson,
      featureOutput: opts.model.featureOutput,
      preprocessing: opts.model.preprocessing,
      backend: opts.backend ?? null,
      onnx: opts.model.onnx,
    },
    opts.workerFile,
    opts.workers,
  );
  result.dim = pool.info?.size ?? null;
  result.featureLayer = pool.info?.featureLayer ?? null;
  result.backend = pool.info?.backend ?? null;
  result.engine = pool.info?.engine;
  if (pool.info) recordEngine(pool.info.engine, pool.info.note);
  ctx.phase(
    pool.info?.engine === 'onnx'
      ? `Computing embeddings (ONNX Runtime, ${os.availableParallelism()} thread(s))`
      : `Computing embeddings (${result.backend}, ${pool.info?.workers || 1} thread(s))`,
    total,
  );
  const insert = opts.db.prepare(
    `INSERT OR REPLACE INTO embeddings (model_key, hash, dim, vector, error, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const write = (batch: readonly EmbedTodo[], outcomes: EmbedOutcome[]) => {
    const now = new Date().toISOString();
    opts.db.transaction(() => {
      for (const [i, o] of outcomes.entries()) {
        const { modelKey: key, hash } = batch[i] as EmbedTodo;
        if (o.vector) {
          insert.run(
            key,
            hash,
            o.vector.length,
            Buffer.from(o.vector.buffer, o.vector.byteOffset, o.vector.byteLength),
            null,
            now,
          );
          result.embedded++;
        } else {
          insert.run(key, hash, result.dim ?? 0, null, o.error ?? 'failed', now);
          result.failed++;
        }
      }
    })();
  };
  const started = Date.now();
  try {
    let next = 0;
    const lane = async () => {
      while (next < batches.length && !ctx.signal.aborted) {
        const batch = batches[next++];
        if (!batch) break;
        const outcomes = await pool.embed(batch.map((t) => t.item));
        if (!opts.db.open) return;
        write(batch, outcomes);
        ctx.progress(result.embedded + result.failed);
      }
    };
    await Promise.all(Array.from({ length: pool.parallelism }, lane));
  } finally {
    // A crash of ONNX Runtime mid-run leaves TF.js in charge: say so.
    if (pool.info) recordEngine(pool.info.engine, pool.info.note);
    result.engine = pool.info?.engine;
    await pool.close();
  }
  result.seconds = (Date.now() - started) / 1000;
  result.imagesPerSecond =
    result.seconds > 0 ? (result.embedded + result.failed) / result.seconds : 0;
  ctx.throwIfCancelled();
  return result;
}
