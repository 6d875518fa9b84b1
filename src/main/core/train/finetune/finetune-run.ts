import path from 'node:path';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../../shared/errors';
import { pct, plural } from '../../../../shared/format';
import type { TrainConfig } from '../../../../shared/types';
import type { JobContext } from '../../jobs/job-registry';
import { embeddingKey, type EmbedModel } from '../../ml/embedder';
import { findFeatureLayer } from '../../ml/feature-model';
import { diskModelHandler, modelFormat } from '../../ml/model-io';
import { initBackend, type BackendName } from '../../ml/tf-runtime';
import { modelInputPath } from '../../library/model-input';
import { collectTrainingSet, type LabelledImage } from '../dataset';
import { datasetKey, progressHooks, runCounts } from '../run-helpers';
import type { RunStore } from '../run-store';
import { splitTrainValidation } from '../split';
import { buildEstimate, tooSmallToRank } from '../estimate';
import { recordRunLabels } from '../run-store';
import { ActivationCache } from './activation-cache';
import { augmentationKey } from './augment';
import {
  activationDir,
  cacheActivations,
  cachedSource,
  imageSource,
  type SourceImage,
} from './cached-activations';
import { trainFinetune, type BatchSource, type FeatureNet } from './finetune-loop';
import { saveFinetuneWeights } from './finetune-weights';
import { buildFullNet, layerWeights, type FullNet } from './full-net';
import { buildTopNet, planCut, type CutPlan, type TopWeights } from './top-net';
import { warmUpHead, type WarmHead } from './warm-up';
import { refitCached, refitFull, type Released } from './refit';

export interface FinetuneDeps {
  db: Database.Database;
  runs: RunStore;
  model: EmbedModel;
  embed: {
    cacheDir: string;
    rootPath: (rootId: number) => string | null;
    backend?: BackendName | null;
  };
  onProgress: Parameters<typeof progressHooks>[4];
  /** Forces a path (tests): by default 'full' on the native backend, else 'cached'. */
  path?: 'cached' | 'full';
}

export interface Loaded {
  base: LayersModel;
  featureLayer: string;
  backend: BackendName;
  path: 'cached' | 'full';
  cut: CutPlan | null;
}

export async function loadBase(config: TrainConfig, deps: FinetuneDeps): Promise<Loaded> {
  const format = modelFormat(deps.model.modelJson);
  if (format !== 'layers') {
    const kind =
      format === 'onnx'
        ? 'an ONNX model'
        : format === 'graph'
          ? 'a Graph model'
          : 'a TensorFlow SavedModel';
    throw new OcellusError(
      'UNSUPPORTED',
      `Fine-tuning needs a Layers model; ${deps.model.id} is ${kind} (train in "features" mode)`,
    );
  }
  const backend = await initBackend(deps.embed.backend ?? null);
  const base = await loadLayersModel(diskModelHandler(deps.model.modelJson));
  const featureLayer = findFeatureLayer(base, deps.model.featureOutput).name;
  const chosen = deps.path ?? (backend === 'tensorflow' ? 'full' : 'cached');
  const cut =
    chosen === 'cached' ? planCut(base, featureLayer, config.unfreezeLayers, backend) : null;
  return { base, featureLayer, backend, path: chosen, cut };
}

function sourceImages(
  db: Database.Database,
  deps: FinetuneDeps,
  images: LabelledImage[],
): Map<number, SourceImage> {
  const rows = db.prepare('SELECT id, root_id, rel_path, frame FROM images WHERE id = ?');
  const out = new Map<number, SourceImage>();
  for (const im of images) {
    const r = rows.get(im.id) as
      { id: number; root_id: number; rel_path: string; frame: number } | undefined;
    if (!r) continue;
    const original = path.join(deps.embed.rootPath(r.root_id) ?? '', ...r.rel_path.split('/'));
    const cache = modelInputPath(deps.embed.cacheDir, im.hash, deps.model.preprocessing);
    out.set(im.id, { hash: im.hash, file: original, frame: r.frame, cache });
  }
  return out;
}

function cacheKey(deps: FinetuneDeps, config: TrainConfig, cutLayer: string): string {
  return `${embeddingKey(deps.model)}|cut:${cutLayer}|${augmentationKey(config.augmentation, config.seed)}`;
}

/**
 * A fine-tune run. On the native backend the whole network sees a fresh augmented image
 * every step (top layers trainable); elsewhere the base runs once per image and view up to
 * the cut, activations are cached, and the top of the base + head train from the cache.
 * The head warms up first with the base frozen; the trained layers are kept with the run.
 */
// eslint-disable-next-line max-lines-per-function -- one run's phases in order (load, split, cache, warm up, train, save) share the base model and caches released in one finally.
export async function runFinetune(
  ctx: JobContext,
  runId: number,
  config: TrainConfig,
  deps: FinetuneDeps,
): Promise<void> {
  const { db, runs } = deps;
  const set = collectTrainingSet(db, config.groupBy);
  ctx.phase(`Loading ${deps.model.id}`, 1);
  const loaded = await loadBase(config, deps);
  const { base, featureLayer, backend } = loaded;
  let net: (FeatureNet & { dispose(): void }) | null = null;
  let cache: ActivationCache | null = null;
  try {
    const files = sourceImages(db, deps, set.images);
    let usable = set.images.filter((im) => files.has(im.id));
    let source: BatchSource;
    let split: ReturnType<typeof splitTrainValidation>;
    const splitOf = (items: LabelledImage[]) =>
      splitTrainValidation(items, config.validationFraction, config.seed, set.classes.length);
    const image = (id: number) => files.get(id) as SourceImage;
    // Refit trains again on every label (validation images' augmented views included). Only
    // when asked: 'auto' does not refit fine-tuning until bench:accuracy shows it pays.
    const refit = config.refit === 'always';
    let full: { net: FullNet; initial: TopWeights } | null = null;
    if (loaded.cut) {
      const cut = loaded.cut;
      cache = ActivationCache.open(
        activationDir(deps.embed.cacheDir),
        cacheKey(deps, config, cut.cutLayer),
        cut.cutShape,
      );
      const job = {
        base,
        cutLayer: cut.cutLayer,
        spec: deps.model.preprocessing,
        augmentation: config.augmentation,
        seed: config.seed,
        cache,
      };
      ctx.phase(`Caching activations at ${cut.cutLayer} (${backend})`, usable.length);
      const failed = await cacheActivations(
        ctx,
        job,
        usable.map((im) => ({ image: image(im.id), view: 0 })),
      );
      usable = usable.filter((im) => !failed.has(im.hash));
      split = splitOf(usable);
      const extra = (refit ? usable.map((u) => u.id) : split.train).flatMap((id) =>
        Array.from({ length: config.viewsPerImage - 1 }, (_, v) => ({
          image: image(id),
          view: v + 1,
        })),
      );
      ctx.phase(
        `Caching ${config.viewsPerImage - 1} augmented view(s) per training image`,
        extra.length,
      );
      await cacheActivations(ctx, job, extra);
      net = buildTopNet(base, cut, featureLayer);
      source = cachedSource(
        cache,
        split.train.map((id) => image(id).hash),
        split.validation.map((id) => image(id).hash),
        config.viewsPerImage,
        config.seed,
      );
    } else {
      split = splitOf(usable);
      const fullNet = buildFullNet(base, featureLayer, config.unfreezeLayers);
      net = fullNet;
      // The base's own weights of the layers that train, for the refit to start from.
      if (refit) full = { net: fullNet, initial: layerWeights(base, fullNet.trainable) };
      source = imageSource(
        deps.model.preprocessing,
        config.augmentation,
        split.train.map(image),
        split.validation.map(image),
        config.seed,
      );
    }
    const byId = new Map(usable.map((im) => [im.id, im]));
    const labels = (ids: number[]) => Int32Array.from(ids, (id) => byId.get(id)?.label ?? 0);
    runs.setDataset(runId, {
      classes: set.classes.map((c) => c.name),
      counts: runCounts(set, split, set.images.length - usable.length),
      split: { train: split.train, validation: split.validation },
      leaked: split.leaks.hashes.length,
      backend,
      datasetKey: datasetKey(cacheKey(deps, config, loaded.cut?.cutLayer ?? 'full'), usable),
    });
    recordRunLabels(db, runId, {
      classIds: set.classes.map((c) => c.id),
      labels: usable.map((u) => [u.id, u.label]),
    });
    const featureDim = Number(base.getLayer(featureLayer).outputShape.slice(-1)[0]);
    let warmHead: WarmHead | undefined;
    if (!loaded.cut && config.warmupEpochs > 0) {
      ctx.phase(`Warming up the head on the frozen network's features (${backend})`, usable.length);
      warmHead = await warmUpHead(
        ctx,
        net,
        deps.model.preprocessing,
        {
          train: split.train.map(image),
          yTrain: labels(split.train),
          val: split.validation.map(image),
          yVal: labels(split.validation),
        },
        featureDim,
        set.classes.length,
        config,
      );
    }
    const batchesPerEpoch = Math.ceil(split.train.length / config.batchSize);
    ctx.phase(
      `Fine-tuning ${net.variables.length ? 'the top of the base' : 'the head'} on ${split.train.length} images (${backend}, ${loaded.path})`,
      config.epochs * batchesPerEpoch,
    );
    const k = set.classes.length;
    const rank = !tooSmallToRank(split.validation.length, k);
    const result = await trainFinetune(
      net,
      source,
      {
        featureDim,
        classes: k,
        yTrain: labels(split.train),
        yVal: labels(split.validation),
        head: warmHead?.weights,
      },
      {
        ...config,
        patience: rank ? config.patience : 0,
        fixedEpochs: !rank,
        // A head warmed up on features needs no head-only epochs through the whole network.
        ...(warmHead ? { warmupEpochs: 0 } : {}),
      },
      progressHooks(ctx, runId, runs, batchesPerEpoch, deps.onProgress),
    );
    const epochs = Math.max(1, result.bestEpoch);
    let released: Released = { head: result.head, top: result.top };
    let refitImages: number | null = null;
    if (refit && split.validation.length > 0 && !result.cancelled && !ctx.signal.aborted) {
      const all = usable.map((u) => u.id);
      const every = { images: all.map(image), labels: labels(all), featureDim, classes: k, epochs };
      ctx.phase(`Refitting on all ${all.length} labelled images for ${plural(epochs, 'epoch')}`, 1);
      if (loaded.cut && cache) {
        const part = { base, cut: loaded.cut, featureLayer, cache };
        released = await refitCached(ctx, part, every, config);
        refitImages = all.length;
      } else if (full) {
        const part = { base, ...full, spec: deps.model.preprocessing };
        released = await refitFull(ctx, part, every, config, warmHead?.epochs ?? 0);
        refitImages = all.length;
      }
    }
    const keep = result.bestEpoch > 0;
    if (keep) {
      saveFinetuneWeights(
        db,
        runId,
        {
          baseModelId: deps.model.id,
          modelSha: deps.model.modelSha,
          featureLayer,
          path: loaded.path,
          cutLayer: loaded.cut?.cutLayer ?? null,
        },
        released.top,
      );
    }
    const nVal = split.validation.length;
    const notes = rank
      ? []
      : [
          `The validation split (${nVal} images for ${k} classes) is too small to choose an epoch by its loss: trained the ${config.epochs} epochs asked for.`,
        ];
    const valAccuracy =
      result.blended?.valAccuracy ?? result.averaged?.valAccuracy ?? result.best?.valAccuracy ?? 0;
    if (result.averaged) {
      const [from, to] = result.averaged.epochs;
      notes.push(
        `The released weights are the mean of every tuning step's in epochs ${from}–${to} (those whose validation loss is near the best); the estimate is theirs (${pct(result.averaged.valAccuracy)} on validation; the best epoch alone: ${pct(result.best?.valAccuracy ?? 0)}).`,
      );
    }
    if (result.blended) {
      notes.push(
        `The released weights are ${pct(config.tunedShare ?? 1)} the tuned ones and the rest those tuning started from; the estimate is theirs (${pct(result.blended.valAccuracy)} on validation; the tuned weights alone: ${pct(result.averaged?.valAccuracy ?? result.best?.valAccuracy ?? 0)}).`,
      );
    }
    const outcome = {
      bestEpoch: result.bestEpoch || undefined,
      head: keep ? released.head : undefined,
      estimateHead: refitImages !== null ? result.head : undefined,
      estimate: buildEstimate({
        correct: Math.round(valAccuracy * nVal),
        validationImages: nVal,
        epochChoice: rank ? 'early-stopping' : 'fixed',
        epochs,
        folds: [],
        refitImages,
        set,
        views: config.viewsPerImage,
        tta: config.tta,
        notes,
      }),
    };
    if (result.cancelled || ctx.signal.aborted) {
      // No estimate, as in feature mode: a stopped run released nothing to estimate (it showed
      // "Estimated accuracy 0.0 %" after "the 30 epochs asked for").
      runs.finish(runId, 'cancelled', { bestEpoch: outcome.bestEpoch, head: outcome.head });
      ctx.throwIfCancelled();
      return;
    }
    runs.finish(runId, 'done', outcome);
  } finally {
    cache?.close();
    // The rebuilt top owns its variables; the full-network path's net is the base itself.
    if (loaded.cut) net?.dispose();
    base.dispose();
  }
}
