import { plural } from '../../../shared/format';
import type Database from 'better-sqlite3';
import type { TrainConfig } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import { embeddingKey, readEmbedding, runEmbedding, type EmbedModel } from '../ml/embedder';
import { initBackend } from '../ml/tf-runtime';
import { recordRunLabels } from './run-store';
import { collectTrainingSet, type LabelledImage } from './dataset';
import { buildEstimate, foldsFor, kFolds, shouldRefit, tooSmallToRank } from './estimate';
import { featureViews, viewModel } from './feature-views';
import type { HeadConfig, HeadData, HeadHooks, HeadResult } from './head-trainer';
import type { HeadWeights } from '../model/head';
import { headWorkerBeside, trainHeadOffThread } from './head-runner';
import { datasetKey, progressHooks, runCounts } from './run-helpers';
import type { TrainDeps } from './train-deps';
import { splitTrainValidation } from './split';
import { boxItems, type Items } from './box-items';

/** Embedding rows of images: view 0 of each, plus their augmented views when asked. */
class Vectors {
  dim = 0;
  constructor(
    private readonly db: Database.Database,
    private readonly models: EmbedModel[],
    private readonly byId: Map<number, LabelledImage>,
  ) {}

  rows(ids: readonly number[], withViews: boolean): { x: Float32Array; y: Int32Array } {
    const xs: Float32Array[] = [];
    const ys: number[] = [];
    const models = withViews ? this.models : this.models.slice(0, 1);
    for (const id of ids) {
      const im = this.byId.get(id);
      if (!im) continue;
      for (const m of models) {
        const v = readEmbedding(this.db, m, im.hash);
        if (!v) continue; // a view that failed to decode; view 0 is always there
        this.dim = v.length;
        xs.push(v);
        ys.push(im.label);
      }
    }
    const x = new Float32Array(xs.length * this.dim);
    xs.forEach((v, i) => x.set(v, i * this.dim));
    return { x, y: Int32Array.from(ys) };
  }
}

/** Trains heads for one run: on a worker thread, cancelled with the job. */
type HeadTrainer = (data: HeadData, cfg: HeadConfig, hooks: HeadHooks) => Promise<HeadResult>;

/** What the later stages need: the labelled images with their vectors and a head trainer. */
interface Stage {
  ctx: JobContext;
  config: TrainConfig;
  usable: LabelledImage[];
  classes: number;
  vectors: Vectors;
  head: HeadTrainer;
}

function headData(
  stage: Stage,
  t: { x: Float32Array; y: Int32Array },
  v: { x: Float32Array; y: Int32Array },
): HeadData {
  return {
    dim: stage.vectors.dim,
    classes: stage.classes,
    xTrain: t.x,
    yTrain: t.y,
    xVal: v.x,
    yVal: v.y,
  };
}

/** Embeds the plain images, then each augmented view of the labelled ones; returns the models. */
async function embedViews(
  ctx: JobContext,
  config: TrainConfig,
  deps: TrainDeps,
  hashes: () => Set<string>,
): Promise<EmbedModel[]> {
  await runEmbedding(ctx, { ...deps.embed, db: deps.db, model: deps.model });
  ctx.throwIfCancelled();
  const views = featureViews(config);
  const models = [deps.model];
  const labelled = hashes();
  for (let v = 1; v < views; v++) {
    const m = viewModel(deps.model, config, v);
    ctx.phase(
      `Embedding augmented view ${v + 1} of ${views} of the labelled images`,
      labelled.size,
    );
    await runEmbedding(ctx, { ...deps.embed, db: deps.db, model: m, onlyHashes: labelled });
    ctx.throwIfCancelled();
    models.push(m);
  }
  return models;
}

/** The labelled images of an image run, embedded (with their augmented views). */
async function imageItems(ctx: JobContext, config: TrainConfig, deps: TrainDeps): Promise<Items> {
  const set = collectTrainingSet(deps.db, config.groupBy);
  ctx.phase('Checking embeddings', set.images.length);
  let usable: LabelledImage[] = [];
  const models = await embedViews(ctx, config, deps, () => {
    usable = set.images.filter((im) => readEmbedding(deps.db, deps.model, im.hash) !== null);
    return new Set(usable.map((u) => u.hash));
  });
  return { set, models, usable };
}

/** k-fold cross-validation of the recipe: each fold's accuracy at its chosen epoch. */
async function crossValidate(
  stage: Stage,
): Promise<{ accuracy: number; images: number; epochs: number }[]> {
  const { ctx, config, usable, classes } = stage;
  const folds: { accuracy: number; images: number; epochs: number }[] = [];
  const n = foldsFor(config, usable.length);
  if (n <= 1) return folds;
  for (const [f, held] of kFolds(usable, n, config.seed, classes).entries()) {
    // The bar counts epochs over all folds; a fold stopped early jumps to the next one's start.
    ctx.phase(`Cross-validation: fold ${f + 1} of ${n}`, n * config.epochs);
    ctx.progress(f * config.epochs);
    const heldSet = new Set(held);
    const rest = usable.filter((u) => !heldSet.has(u.id)).map((u) => u.id);
    const rank = !tooSmallToRank(held.length, classes);
    const r = await stage.head(
      headData(stage, stage.vectors.rows(rest, true), stage.vectors.rows(held, false)),
      { ...config, patience: rank ? config.patience : 0, fixedEpochs: !rank },
      {
        shouldStop: () => ctx.signal.aborted,
        onEpoch: (m) => ctx.progress(f * config.epochs + m.epoch),
      },
    );
    ctx.throwIfCancelled();
    if (r.best && held.length > 0) {
      folds.push({ accuracy: r.best.valAccuracy, images: held.length, epochs: r.bestEpoch });
    }
  }
  return folds;
}

/** The released head trained again on every labelled image (all views) for `epochs`. */
async function refitOnAll(stage: Stage, epochs: number): Promise<HeadWeights> {
  const { ctx, config, usable } = stage;
  const items = config.unit === 'box' ? 'boxes' : 'images';
  ctx.phase(
    `Refitting on all ${usable.length} labelled ${items} for ${plural(epochs, 'epoch')}`,
    epochs,
  );
  const all = stage.vectors.rows(
    usable.map((u) => u.id),
    true,
  );
  const r = await stage.head(
    headData(stage, all, { x: new Float32Array(0), y: new Int32Array(0) }),
    { ...config, epochs, patience: 0, fixedEpochs: true },
    { shouldStop: () => ctx.signal.aborted, onEpoch: (m) => ctx.progress(m.epoch) },
  );
  ctx.throwIfCancelled();
  return r.weights;
}

/**
 * A feature-mode run: embeddings (plus augmented views of the labelled images), the head
 * trained on the training side with the epochs chosen on the validation split (or fixed
 * when it is too small to rank them), k-fold cross-validation of the estimate for small
 * sets, and the released head refit on every label for the chosen epochs.
 */
// eslint-disable-next-line max-lines-per-function -- the run's steps in order (views, epochs, cross-validation, refit), each a call with its progress phase.
export async function runFeatureTraining(
  ctx: JobContext,
  runId: number,
  config: TrainConfig,
  deps: TrainDeps,
): Promise<void> {
  const { db, runs } = deps;
  const { set, models, usable } =
    config.unit === 'box' ? await boxItems(ctx, deps, config) : await imageItems(ctx, config, deps);
  const k = set.classes.length;
  const split = splitTrainValidation(usable, config.validationFraction, config.seed, k);
  const vectors = new Vectors(db, models, new Map(usable.map((im) => [im.id, im])));
  const train = vectors.rows(split.train, true);
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
  const stage: Stage = {
    ctx,
    config,
    usable,
    classes: k,
    vectors,
    head: (data, cfg, hooks) =>
      trainHeadOffThread(data, cfg, hooks, {
        workerFile: headWorkerBeside(deps.embed.workerFile),
        backend: deps.embed.backend ?? null,
        signal: ctx.signal,
      }),
  };
  const nVal = split.validation.length;
  const rank = !tooSmallToRank(nVal, k);
  const batchesPerEpoch = Math.ceil(train.y.length / config.batchSize);
  ctx.phase(
    `Training the head on ${split.train.length} ${config.unit === 'box' ? 'boxes' : 'images'}${models.length > 1 ? ` × ${models.length} views` : ''} (${backend})`,
    config.epochs * batchesPerEpoch,
  );
  const result = await stage.head(
    headData(stage, train, vectors.rows(split.validation, false)),
    { ...config, patience: rank ? config.patience : 0, fixedEpochs: !rank },
    progressHooks(ctx, runId, runs, batchesPerEpoch, deps.onProgress),
  );
  if (result.cancelled || ctx.signal.aborted) {
    runs.finish(runId, 'cancelled', {
      bestEpoch: result.bestEpoch || undefined,
      head: result.best ? result.weights : undefined,
    });
    ctx.throwIfCancelled();
    return;
  }
  const epochs = Math.max(1, result.bestEpoch);
  const folds = await crossValidate(stage);
  const refit = shouldRefit(config.refit, usable.length) && nVal > 0;
  const released = refit ? await refitOnAll(stage, epochs) : result.weights;
  runs.finish(runId, 'done', {
    bestEpoch: result.bestEpoch,
    head: released,
    estimateHead: refit ? result.weights : undefined,
    estimate: buildEstimate({
      correct: Math.round((result.best?.valAccuracy ?? 0) * nVal),
      validationImages: nVal,
      epochChoice: rank ? 'early-stopping' : 'fixed',
      epochs,
      folds,
      refitImages: refit ? usable.length : null,
      set,
      views: models.length,
      tta: config.tta,
      notes: rank
        ? []
        : [
            `The validation split (${nVal} ${config.unit === 'box' ? 'boxes' : 'images'} for ${k} classes) is too small to choose an epoch by its loss: trained the ${config.epochs} epochs asked for.`,
          ],
    }),
  });
}
