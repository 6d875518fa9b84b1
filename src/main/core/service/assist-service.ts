import type { AssistApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type {
  AssistSettings,
  LabelChange,
  LabelOptions,
  PredictionStatus,
} from '../../../shared/types';
import { AssistRuntime, imageSource, similarityModelKey } from '../assist/assist-runtime';
import { runPredictions } from '../assist/predict-job';
import { PredictionStore } from '../assist/prediction-store';
import { PredictionSets } from '../assist/prediction-sets';
import { QuickRetrain } from '../assist/quick-retrain';
import { LabelStore, type Description } from '../labels/label-store';
import { embeddingKey, labelledWithoutEmbedding } from '../ml/embedder';
import { readAssistSettings, writeAssistSettings } from '../assist/assist-settings';
import { validateTrainConfig } from '../train/train-config';
import { RunStore } from '../train/run-store';
import type { Workspace } from './workspace';
import { labelOptions, requireObject } from './validate';

/** The suggestions the user saw, by image, from an accept's options; null when not said. */
function seenSuggestions(options: unknown): Map<number, number> | null {
  if (options === undefined || options === null) return null;
  const seen = requireObject(options, 'options')['seen'];
  if (seen === undefined) return null;
  if (
    !Array.isArray(seen) ||
    !seen.every(
      (p) =>
        Array.isArray(p) &&
        p.length === 2 &&
        p.every((v) => typeof v === 'number' && Number.isSafeInteger(v)),
    )
  )
    throw new OcellusError('INVALID_ARGUMENT', 'seen is a list of [imageId, classId] pairs');
  return new Map(seen as [number, number][]);
}

/**
 * The `assist` domain: model suggestions for every image after each run, accepting them,
 * similar images, heat maps and quick retraining. Suggestions are never labels: accepting
 * one writes a human label that remembers the run and confidence it came from.
 */
// eslint-disable-next-line max-lines-per-function -- the assist domain's method table; each method is short and shares the prediction job and quick-retrain state held here.
export function createAssistService(ctx: Workspace): AssistApi {
  const runtime = new AssistRuntime();
  const runs = () => new RunStore(ctx.requireStore().db);
  const predictions = () => new PredictionStore(ctx.requireStore().db);
  const modelFor = (baseModel: string) => ctx.models.resolve(baseModel);
  const interactive = ctx.options.host !== 'cli';
  let predictJob: string | null = null;

  const settings = (): AssistSettings => readAssistSettings(ctx.store?.db ?? null);

  const status = (): PredictionStatus => {
    const running = ctx.jobs.list().find((j) => j.id === predictJob && j.state === 'running');
    const p = ctx.store ? predictions() : null;
    return {
      runId: p?.currentRun() ?? null,
      ...(p?.counts() ?? { predicted: 0, unconfirmed: 0, disagreeing: 0 }),
      jobId: running?.id ?? null,
      quickRetrain: quick.current(),
    };
  };
  const announce = () => {
    if (ctx.store) ctx.bus.emit('assist:changed', status());
  };

  const startPredictions = (runId: number) => {
    const store = ctx.requireStore();
    const source = ctx.embedSource();
    const runStore = runs();
    const run = runStore.get(runId);
    if (predictJob) {
      try {
        ctx.jobs.cancel(predictJob);
      } catch {
        // Already gone: nothing to cancel.
      }
    }
    const retry = ctx.retryInProject(async () => startPredictions(runId));
    const { info } = ctx.jobs.start(
      'predict',
      `Suggestions from run ${runId}`,
      async (job) => {
        try {
          // Started cancelled while its project closes: it must not begin to read or write.
          job.throwIfCancelled();
          const model = await ctx.resolveRunModel(run);
          job.throwIfCancelled();
          await runPredictions(job, runId, {
            db: store.db,
            runs: runStore,
            embed: { ...source, model },
          });
        } finally {
          if (predictJob === info.id) predictJob = null;
          if (store.db.open) announce();
          // A box run's suggestions are on the boxes.
          if (store.db.open && run.config.unit === 'box')
            ctx.bus.emit('detect:changed', { detector: null });
        }
      },
      0,
      { subject: String(runId), retry },
    );
    predictJob = info.id;
    announce();
    return info;
  };

  const quick = new QuickRetrain({
    enabled: () => interactive && ctx.store !== null && settings().quickRetrain,
    delayMs: () => settings().quickRetrainDelaySeconds * 1000,
    blocker: () => {
      if (!ctx.store) return 'No project is open';
      if (ctx.jobs.list().some((j) => j.kind === 'train' && j.state === 'running'))
        return 'A training run is in progress';
      const last = runs()
        .list()
        .find((r) => r.status === 'done');
      if (!last) return 'Train a first run in the Train view';
      if (last.config.mode !== 'features') return 'Only feature-mode runs retrain quickly';
      let key: string;
      try {
        key = embeddingKey(modelFor(last.config.baseModel));
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      const missing = labelledWithoutEmbedding(ctx.requireStore().db, key);
      return missing > 0
        ? `${missing} labelled image(s) have no embedding yet: compute embeddings or train a run`
        : null;
    },
    retrain: async () => {
      const last = runs()
        .list()
        .find((r) => r.status === 'done');
      if (!last) throw new OcellusError('INVALID_ARGUMENT', 'No run to retrain from');
      const started = ctx.startTraining(validateTrainConfig(last.config), 'Quick retrain');
      await new Promise<void>((resolve) => {
        const off = ctx.bus.on('train:run', (r) => {
          if (r.id === started.id && r.status !== 'running') {
            off();
            resolve();
          }
        });
      });
      return started.id;
    },
    onChange: () => announce(),
  });

  if (interactive) {
    ctx.bus.on('train:run', (r) => {
      if (r.status !== 'running') quick.runFinished();
      if (r.status === 'done' && ctx.store?.db.open) {
        try {
          startPredictions(r.id);
        } catch (err) {
          console.error(`suggestions for run ${r.id} could not start:`, err);
        }
      }
    });
    ctx.bus.on('labels:changed', () => quick.labelsChanged());
  }
  ctx.bus.on('project:changed', () => {
    predictJob = null;
    runtime.reset();
  });

  const confirm = (
    items: { imageId: number; classId: number; runId: number; confidence: number }[],
    description: Description,
    options: LabelOptions = {},
  ): LabelChange => {
    const store = ctx.requireStore();
    const labels = new LabelStore(store.db, () => store.summary().labelMode);
    const change = labels.confirm(items, description, options);
    if (change.imageIds.length > 0) {
      ctx.bus.emit('labels:changed', {
        imageIds: change.imageIds,
        classesChanged: false,
        canUndo: change.canUndo,
        canRedo: change.canRedo,
      });
    }
    return change;
  };

  return {
    async status() {
      ctx.requireStore();
      return status();
    },
    async predict(runId) {
      const id =
        runId === undefined
          ? runs()
              .list()
              .find((r) => r.status === 'done')?.id
          : requireId(runId);
      if (id === undefined) throw new OcellusError('NOT_FOUND', 'No finished training run yet');
      return startPredictions(id);
    },
    async prediction(imageId) {
      const p = predictions();
      const run = p.currentRun();
      if (run === null) return null;
      const imported = new PredictionSets(ctx.requireStore().db).byRunId(run);
      return p.detail(requireId(imageId), imported?.classes ?? runs().get(run).classes);
    },
    async accept(imageIds, options) {
      const ids = requireIds(imageIds);
      const seen = seenSuggestions(options);
      const all = predictions().unconfirmed({ imageIds: ids });
      // Only what the user saw: a suggestion a quick retrain changed since is left alone.
      const items = seen
        ? all.filter((i) => !seen.has(i.imageId) || seen.get(i.imageId) === i.classId)
        : all;
      const changed = all.length - items.length;
      const left = changed ? `; ${plural(changed)} left: suggestion changed since shown` : '';
      return confirm(
        items,
        (n) =>
          n === 0
            ? changed
              ? `Nothing accepted: the suggestion changed since it was shown (look again)`
              : 'No suggestion to accept'
            : `Accept ${plural(n)} suggested by the model${left}`,
        labelOptions(options),
      );
    },
    async bulkAcceptPreview(threshold, classId) {
      const t = requireThreshold(threshold);
      const c = classId === undefined || classId === null ? null : requireId(classId);
      const store = predictions();
      return {
        count: store.unconfirmed({ threshold: t, classId: c }).length,
        threshold: t,
        classId: c,
        runId: store.currentRun(),
      };
    },
    async bulkAccept(threshold, classId, asked) {
      const t = requireThreshold(threshold);
      const c = classId === undefined || classId === null ? null : requireId(classId);
      const store = predictions();
      const items = store.unconfirmed({ threshold: t, classId: c });
      // A quick retrain may have finished while the user read the question: never accept
      // another run's suggestions, or more images than the count they agreed to.
      if (asked !== undefined) {
        const a = requireObject(asked, 'asked');
        if (a['count'] !== items.length || a['runId'] !== store.currentRun())
          throw new OcellusError(
            'INVALID_ARGUMENT',
            `The suggestions changed while you were asked: ${plural(items.length)} now reach ≥ ${Math.round(t * 100)} %${a['runId'] !== store.currentRun() ? `, from run ${store.currentRun()}` : `, not ${String(a['count'])}`}. Nothing was accepted; look again and accept.`,
          );
      }
      return confirm(
        items,
        (n) => `Accept ${plural(n)} suggested at ≥ ${Math.round(t * 100)} % confidence`,
      );
    },
    async similar(imageId, k) {
      const id = requireId(imageId);
      const n = k === undefined ? 48 : requireId(k);
      const db = ctx.requireStore().db;
      const key = similarityModelKey(db, runs(), (base) => {
        try {
          return modelFor(base);
        } catch {
          return null;
        }
      });
      return runtime.similar(db, key, id, Math.min(n, 1000));
    },
    async heatMap(imageId, runId, classId) {
      const id = requireId(imageId);
      const store = ctx.requireStore();
      const { cacheDir, rootPath } = ctx.embedSource();
      const runStore = runs();
      const run =
        runId === undefined || runId === null
          ? (predictions().currentTrainingRun() ??
            runStore.list().find((r) => r.status === 'done')?.id)
          : requireId(runId);
      if (run === undefined) throw new OcellusError('NOT_FOUND', 'No finished training run yet');
      const map = await runtime.heatMap({
        db: store.db,
        runs: runStore,
        runId: run,
        model: await ctx.resolveRunModel(runStore.get(run)),
        backend: ctx.backend(),
        image: imageSource(store.db, rootPath, id),
        cacheDir,
        classId: classId === undefined || classId === null ? undefined : requireId(classId),
      });
      return { imageId: id, ...map };
    },
    async settings() {
      ctx.requireStore();
      return settings();
    },
    async updateSettings(input) {
      const store = ctx.requireStore();
      writeAssistSettings(store.db, requireObject(input, 'settings'));
      quick.settingsChanged();
      announce();
      return settings();
    },
  };
}

function requireId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new OcellusError('INVALID_ARGUMENT', 'An id must be a positive integer');
  }
  return value;
}

function requireIds(value: unknown): number[] {
  if (!Array.isArray(value)) throw new OcellusError('INVALID_ARGUMENT', 'Expected a list of ids');
  return value.map(requireId);
}

function requireThreshold(value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new OcellusError('INVALID_ARGUMENT', 'The confidence threshold is between 0 and 1');
  }
  return value;
}

function plural(n: number): string {
  return `${n} image${n === 1 ? '' : 's'}`;
}
