import { OcellusError } from '../../../shared/errors';
import type { JobContext } from '../jobs/job-registry';
import { embeddingKey, mirrorModel, runEmbedding } from '../ml/embedder';
import { predictHead } from '../model/head';
import { PredictionStore } from './prediction-store';
import { runBoxPredictions } from './box-predictions';
import type { PredictDeps } from './predict-deps';

export type { PredictDeps } from './predict-deps';

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
  if (run.config.unit === 'box') return runBoxPredictions(ctx, run, head, deps);
  await runEmbedding(ctx, { ...deps.embed, db });
  // Test-time augmentation: the mirrored inputs' embeddings too, probabilities averaged.
  const mirrored = run.config.tta ? mirrorModel(deps.embed.model) : null;
  if (mirrored) await runEmbedding(ctx, { ...deps.embed, db, model: mirrored });
  ctx.throwIfCancelled();
  const key = embeddingKey(deps.embed.model);
  const images = db
    .prepare(
      `SELECT i.id, e.vector, m.vector FROM images i
         LEFT JOIN embeddings e ON e.hash = i.hash AND e.model_key = ?
         LEFT JOIN embeddings m ON m.hash = i.hash AND m.model_key = ?
        WHERE i.status = 'ok' AND i.missing = 0 AND i.hash IS NOT NULL ORDER BY i.id`,
    )
    .raw()
    .all(key, mirrored ? embeddingKey(mirrored) : '') as [number, Buffer | null, Buffer | null][];
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
      const xm = new Float32Array(mirrored ? slice.length * head.dim : 0);
      const fits = (v: Buffer | null): v is Buffer => v !== null && v.byteLength === head.dim * 4;
      const floats = (v: Buffer) => new Float32Array(v.buffer, v.byteOffset, head.dim).slice();
      for (const [id, vector, flipped] of slice) {
        if (!fits(vector) || (mirrored && !fits(flipped))) {
          skipped++;
          continue;
        }
        x.set(floats(vector), ids.length * head.dim);
        if (mirrored && flipped) xm.set(floats(flipped), ids.length * head.dim);
        ids.push(id);
      }
      if (ids.length > 0) {
        const plain = predictHead(head, x.subarray(0, ids.length * head.dim));
        const probs = mirrored
          ? averaged(plain, predictHead(head, xm.subarray(0, ids.length * head.dim)))
          : plain;
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

function averaged(a: Float32Array, b: Float32Array): Float32Array {
  return Float32Array.from(a, (v, i) => (v + (b[i] ?? 0)) / 2);
}
