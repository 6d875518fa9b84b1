import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { RunSummary, TrainConfig, TrainProgress } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import {
  embeddingKey,
  readEmbedding,
  runEmbedding,
  type EmbedModel,
  type EmbedRunOptions,
} from '../ml/embedder';
import { initBackend } from '../ml/tf-runtime';
import { recordRunLabels } from '../eval/run-labels';
import { collectTrainingSet } from './dataset';
import { trainHead } from './head-trainer';
import type { RunStore } from './run-store';
import { splitTrainValidation } from './split';

export interface TrainDeps {
  db: Database.Database;
  runs: RunStore;
  model: EmbedModel;
  /** How to compute missing embeddings first. */
  embed: Omit<EmbedRunOptions, 'model' | 'db'>;
  onProgress: (p: TrainProgress) => void;
}

const SMOOTHING = 0.9;

/**
 * One feature-mode run: embeddings for every labelled image (computed now if missing),
 * a stratified group-aware split, the head trained on cached vectors with metrics pushed
 * per batch and persisted per epoch, and the best head kept with the run.
 */
export async function runTraining(
  ctx: JobContext,
  runId: number,
  config: TrainConfig,
  deps: TrainDeps,
): Promise<void> {
  const { db, runs } = deps;
  try {
    if (config.mode !== 'features') {
      throw new OcellusError(
        'UNSUPPORTED',
        'Fine-tuning is not available in this version yet; train in "features" mode',
      );
    }
    const set = collectTrainingSet(db, config.groupBy);
    ctx.phase('Checking embeddings', set.images.length);
    await runEmbedding(ctx, { ...deps.embed, db, model: deps.model });
    ctx.throwIfCancelled();

    const usable = set.images.filter((im) => readEmbedding(db, deps.model, im.hash) !== null);
    const split = splitTrainValidation(
      usable,
      config.validationFraction,
      config.seed,
      set.classes.length,
    );
    const byId = new Map(usable.map((im) => [im.id, im]));
    const vectors = (ids: number[]) => {
      const first = byId.get(ids[0] ?? -1);
      const dim = first ? (readEmbedding(db, deps.model, first.hash)?.length ?? 0) : 0;
      const x = new Float32Array(ids.length * dim);
      const y = new Int32Array(ids.length);
      ids.forEach((id, i) => {
        const im = byId.get(id);
        if (!im) return;
        x.set(readEmbedding(db, deps.model, im.hash) ?? new Float32Array(dim), i * dim);
        y[i] = im.label;
      });
      return { x, y, dim };
    };
    const train = vectors(split.train);
    const val = vectors(split.validation);
    const backend = await initBackend(deps.embed.backend ?? null);
    const datasetKey = crypto
      .createHash('sha256')
      .update(JSON.stringify([embeddingKey(deps.model), usable.map((u) => [u.id, u.label])]))
      .digest('hex');
    const counts: RunSummary['counts'] = {
      train: split.train.length,
      validation: split.validation.length,
      perClass: set.classes.map((c, i) => ({
        name: c.name,
        train: split.perClass[i]?.[0] ?? 0,
        validation: split.perClass[i]?.[1] ?? 0,
      })),
      excludedUnlabelled: set.excludedUnlabelled,
      excludedUnreadable: set.excludedUnreadable,
      excludedNoEmbedding: set.images.length - usable.length,
    };
    runs.setDataset(runId, {
      classes: set.classes.map((c) => c.name),
      counts,
      split: { train: split.train, validation: split.validation },
      leaked: split.leaks.hashes.length,
      backend,
      datasetKey,
    });
    recordRunLabels(db, runId, {
      classIds: set.classes.map((c) => c.id),
      labels: usable.map((u) => [u.id, u.label]),
    });
    const batchesPerEpoch = Math.ceil(split.train.length / config.batchSize);
    ctx.phase(
      `Training the head on ${split.train.length} images (${backend})`,
      config.epochs * batchesPerEpoch,
    );
    let loss = NaN;
    let acc = NaN;
    const result = await trainHead(
      {
        dim: train.dim,
        classes: set.classes.length,
        xTrain: train.x,
        yTrain: train.y,
        xVal: val.x,
        yVal: val.y,
      },
      config,
      {
        shouldStop: () => ctx.signal.aborted,
        onBatch: (epoch, batch, batches, l, a) => {
          loss = Number.isNaN(loss) ? l : SMOOTHING * loss + (1 - SMOOTHING) * l;
          acc = Number.isNaN(acc) ? a : SMOOTHING * acc + (1 - SMOOTHING) * a;
          ctx.progress((epoch - 1) * batches + batch);
          deps.onProgress({
            runId,
            epoch,
            batch,
            batches,
            loss,
            accuracy: acc,
            epochMetrics: null,
          });
        },
        onEpoch: (m) => {
          runs.addEpoch(runId, m);
          deps.onProgress({
            runId,
            epoch: m.epoch,
            batch: batchesPerEpoch,
            batches: batchesPerEpoch,
            loss,
            accuracy: acc,
            epochMetrics: m,
          });
        },
      },
    );
    if (result.cancelled || ctx.signal.aborted) {
      runs.finish(runId, 'cancelled', {
        bestEpoch: result.bestEpoch || undefined,
        head: result.best ? result.weights : undefined,
      });
      ctx.throwIfCancelled();
      return;
    }
    runs.finish(runId, 'done', { bestEpoch: result.bestEpoch, head: result.weights });
  } catch (err) {
    const cancelled =
      ctx.signal.aborted || (err instanceof OcellusError && err.code === 'CANCELLED');
    if (db.open && runs.get(runId).status === 'running') {
      runs.finish(runId, cancelled ? 'cancelled' : 'failed', {
        error: cancelled ? undefined : err instanceof Error ? err.message : String(err),
      });
    }
    throw err;
  }
}
