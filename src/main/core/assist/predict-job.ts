import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { JobContext } from '../jobs/job-registry';
import { embeddingKey, runEmbedding, type EmbedRunOptions } from '../ml/embedder';
import { predictHead } from '../train/head-trainer';
import type { RunStore } from '../train/run-store';
import { PredictionStore } from './prediction-store';

export interface PredictDeps {
  db: Database.Database;
  runs: RunStore;
  /** How to embed images that have no vector yet (model included). */
  embed: Omit<EmbedRunOptions, 'db'>;
}

const BATCH = 512;

/**
 * Class probabilities of every readable image under a run's head, from cached embeddings
 * (missing ones computed first). Written batch by batch; the set becomes the current
 * suggestions only once complete, so a cancelled job leaves the previous set in place.
 */
export async function runPredictions(
  ctx: JobContext,
  runId: number,
  deps: PredictDeps,
): Promise<{ predicted: number; skipped: number }> {
  const { db, runs } = deps;
  const run = runs.get(runId);
  const head = runs.head(runId);
  if (run.status !== 'done' || !head) {
    throw new OcellusError('INVALID_ARGUMENT', `Run ${runId} has no trained classifier`);
  }
  await runEmbedding(ctx, { ...deps.embed, db });
  ctx.throwIfCancelled();
  const key = embeddingKey(deps.embed.model);
  const images = db
    .prepare(
      `SELECT i.id, e.vector FROM images i
         LEFT JOIN embeddings e ON e.hash = i.hash AND e.model_key = ?
        WHERE i.status = 'ok' AND i.missing = 0 AND i.hash IS NOT NULL ORDER BY i.id`,
    )
    .raw()
    .all(key) as [number, Buffer | null][];
  const byName = db.prepare('SELECT id FROM classes WHERE name = ?');
  const classIds = run.classes.map(
    (name) => (byName.get(name) as { id: number } | undefined)?.id ?? null,
  );
  const store = new PredictionStore(db);
  ctx.phase(`Suggestions from run ${runId}`, images.length);
  let predicted = 0;
  let skipped = 0;
  try {
    for (let start = 0; start < images.length; start += BATCH) {
      ctx.throwIfCancelled();
      const slice = images.slice(start, start + BATCH);
      const ids: number[] = [];
      const x = new Float32Array(slice.length * head.dim);
      for (const [id, vector] of slice) {
        if (!vector || vector.byteLength !== head.dim * 4) {
          skipped++;
          continue;
        }
        x.set(
          new Float32Array(vector.buffer, vector.byteOffset, head.dim).slice(),
          ids.length * head.dim,
        );
        ids.push(id);
      }
      if (ids.length > 0) {
        const probs = predictHead(head, x.subarray(0, ids.length * head.dim));
        store.write(
          runId,
          classIds,
          ids.map((imageId, i) => ({
            imageId,
            probabilities: probs.slice(i * head.classes, (i + 1) * head.classes),
          })),
        );
        predicted += ids.length;
      }
      ctx.progress(Math.min(images.length, start + slice.length));
      // Let API calls and events through between batches.
      await new Promise((r) => setImmediate(r));
    }
    if (!db.open) return { predicted, skipped };
    store.publish(runId);
  } catch (err) {
    if (db.open) store.discard(runId);
    throw err;
  }
  return { predicted, skipped };
}
