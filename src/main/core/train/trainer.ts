import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { TrainConfig, TrainProgress } from '../../../shared/types';
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
import { runFinetune } from './finetune/finetune-run';
import { headWorkerBeside, trainHeadOffThread } from './head-runner';
import { datasetKey, progressHooks, runCounts } from './run-helpers';
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

/**
 * One training run (fine-tune mode: see runFinetune). Feature mode: embeddings for every labelled image (computed now if missing),
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
    if (config.mode === 'finetune') {
      await runFinetune(ctx, runId, config, deps);
      return;
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
    runs.setDataset(runId, {
      classes: set.classes.map((c) => c.name),
      counts: runCounts(set, split, set.images.length - usable.length),
      split: { train: split.train, validation: split.validation },
      leaked: split.leaks.hashes.length,
      backend,
      datasetKey: datasetKey(embeddingKey(deps.model), usable),
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
    const result = await trainHeadOffThread(
      {
        dim: train.dim,
        classes: set.classes.length,
        xTrain: train.x,
        yTrain: train.y,
        xVal: val.x,
        yVal: val.y,
      },
      config,
      progressHooks(ctx, runId, runs, batchesPerEpoch, deps.onProgress),
      {
        workerFile: headWorkerBeside(deps.embed.workerFile),
        backend: deps.embed.backend ?? null,
        signal: ctx.signal,
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
