import fs from 'node:fs';
import type { MlApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { BackendName, BaseModelInfo } from '../../../shared/types';
import { type EmbedModel, embeddingStatus, runEmbedding } from '../ml/embedder';
import type { StoredModel } from '../ml/model-store';
import { activeBackend, initBackend, isBackendName, skippedBackends } from '../ml/tf-runtime';
import { engineStatus } from '../ml/engine-status';
import { readAppSettings, writeAppSettings } from '../app/app-settings';
import { defaultPreprocessing, loadZoo } from '../ml/zoo';
import type { ZooModel } from '../ml/zoo-types';
import { requireLibrary } from './library-service';
import { requireStore, retryInProject } from './project-service';
import type { ServiceContext } from './context';
import { runFeatureModel } from '../train/run-model';
import type { RunSummary } from '../../../shared/types';
import { requireObject, requirePath, requireString } from './validate';
import { parseSavedModelChoice } from './saved-model-options';
import { inspectSavedModel } from '../ml/saved-model';
import { isSavedModelFolder } from '../ml/saved-model-files';

/** The `ml` domain: backends, base models, embeddings. */
export function createMlService(ctx: ServiceContext): MlApi {
  const zoo = (): ZooModel[] => (ctx.options.resourcesDir ? loadZoo(ctx.options.resourcesDir) : []);

  const api: MlApi = {
    async status() {
      const backend = activeBackend() ?? (await initBackend(preferredBackend(ctx)));
      const { engine, note } = engineStatus();
      return {
        backend,
        available: [backend],
        unavailable: skippedBackends(),
        engine,
        engineNote: note,
      };
    },
    async setBackend(backend) {
      if (backend !== null && !isBackendName(backend)) {
        throw new OcellusError('INVALID_ARGUMENT', 'The backend is tensorflow, wasm, cpu or null');
      }
      // Proven to start before it is saved, so a bad choice never sticks.
      const active = await initBackend(backend);
      const settings = readAppSettings(ctx.options.appDataDir);
      if (backend === null) delete settings.backend;
      else settings.backend = backend;
      writeAppSettings(ctx.options.appDataDir, settings);
      return { backend: active, available: [active], unavailable: skippedBackends() };
    },
    async models() {
      const zooModels = zoo();
      const stored = ctx.models.list();
      const out: BaseModelInfo[] = stored.map((m) =>
        describe(
          m,
          zooModels.find((z) => z.id === (m.zooId ?? m.id)),
        ),
      );
      for (const z of zooModels) {
        if (!stored.some((m) => (m.zooId ?? m.id) === z.id)) out.push(describeZoo(z));
      }
      return out;
    },
    async downloadModel(id) {
      const entry = zoo().find((z) => z.id === requireString(id, 'id'));
      if (!entry) throw new OcellusError('NOT_FOUND', `No model ${id} in the zoo`);
      return ctx.jobs.start(
        'download',
        `Downloading ${entry.name}`,
        async (job) => {
          job.phase(`Downloading ${entry.name}`, entry.sizeBytes ?? 0);
          await ctx.models.download(entry, {
            signal: job.signal,
            onProgress: (p) => job.progress(p.bytesDone, p.bytesTotal ?? p.bytesDone),
          });
        },
        0,
        { subject: entry.id, retry: () => api.downloadModel(entry.id) },
      ).info;
    },
    async importModel(p, savedModel) {
      const target = requirePath(p, 'path');
      const choice = parseSavedModelChoice(savedModel);
      const isDir = fs.existsSync(target) && fs.statSync(target).isDirectory();
      if (isDir && isSavedModelFolder(target)) {
        // The native backend must be the one in use: start the preferred one first.
        await initBackend(preferredBackend(ctx));
      }
      const stored = isDir
        ? await ctx.models.importFolder(target, { savedModel: choice })
        : await ctx.models.importFile(target);
      return describe(
        stored,
        zoo().find((z) => z.id === stored.zooId),
      );
    },
    async inspectSavedModel(p) {
      const target = requirePath(p, 'path');
      if (!isSavedModelFolder(target)) return null;
      await initBackend(preferredBackend(ctx));
      return inspectSavedModel(target);
    },
    async exportModel(id, file) {
      await ctx.models.exportToFile(requireString(id, 'id'), requirePath(file, 'file'));
    },
    async embed(modelId, options) {
      const opts = options === undefined ? {} : requireObject(options, 'options');
      const model = resolveEmbedModel(ctx, requireString(modelId, 'modelId'), zoo());
      const store = requireStore(ctx);
      const library = requireLibrary(ctx);
      const batchSize = typeof opts['batchSize'] === 'number' ? opts['batchSize'] : undefined;
      return ctx.jobs.start(
        'embed',
        `Embeddings with ${model.id}`,
        async (job) => {
          await runEmbedding(job, {
            db: store.db,
            cacheDir: library.cacheDir,
            rootPath: (rootId) => library.roots().find((r) => r.id === rootId)?.path ?? null,
            model,
            workerFile: ctx.options.mlWorkerFile ?? null,
            backend: preferredBackend(ctx),
            batchSize,
          });
        },
        0,
        { subject: model.id, retry: retryInProject(ctx, () => api.embed(modelId, options)) },
      ).info;
    },
    async embeddingStatus(modelId) {
      const model = resolveEmbedModel(ctx, requireString(modelId, 'modelId'), zoo());
      return embeddingStatus(requireStore(ctx).db, model);
    },
  };
  return api;
}

/** The backend the user chose in the settings, if any. */
export function preferredBackend(ctx: ServiceContext): BackendName | null {
  return readAppSettings(ctx.options.appDataDir).backend ?? null;
}

/**
 * The model whose features a run's head reads (the tuned network of a fine-tuned run, else
 * its base), with the TF.js backend started to build it.
 */
export async function resolveRunModel(ctx: ServiceContext, run: RunSummary): Promise<EmbedModel> {
  const zoo = ctx.options.resourcesDir ? loadZoo(ctx.options.resourcesDir) : [];
  const base = resolveEmbedModel(ctx, run.config.baseModel, zoo);
  await initBackend(preferredBackend(ctx));
  return runFeatureModel(requireStore(ctx).db, run.id, base, requireLibrary(ctx).cacheDir);
}

/** The offline model for an id, with its preprocessing and feature output. */
export function resolveEmbedModel(ctx: ServiceContext, id: string, zoo: ZooModel[]): EmbedModel {
  const stored = ctx.models.find(id);
  const entry = zoo.find((z) => z.id === (stored?.zooId ?? id));
  if (!stored) {
    throw new OcellusError(
      'NOT_FOUND',
      entry
        ? `${entry.name} is not downloaded yet: download it, or import a copy (ocellus models import)`
        : `No base model ${id}`,
    );
  }
  if (stored.format === 'onnx') {
    const io = entry?.onnx ?? stored.onnx?.io;
    const preprocessing = entry?.preprocessing ?? stored.onnx?.preprocessing;
    if (!io || !preprocessing) {
      throw new OcellusError('INVALID_ARGUMENT', `${id} is an ONNX model without its declaration`);
    }
    return {
      id: stored.id,
      modelJson: stored.modelJson,
      modelSha: stored.sha256.modelJson,
      featureOutput: io.output,
      preprocessing,
      onnx: io,
    };
  }
  return {
    id: stored.id,
    modelJson: stored.modelJson,
    modelSha: stored.sha256.modelJson,
    featureOutput: entry?.featureOutput ?? (stored.format === 'graph' ? 'default' : 'auto'),
    preprocessing: entry?.preprocessing ?? defaultPreprocessing(stored.modelJson),
  };
}

function describe(m: StoredModel, z: ZooModel | undefined): BaseModelInfo {
  const pre = z?.preprocessing ?? m.onnx?.preprocessing ?? defaultPreprocessing(m.modelJson);
  return {
    id: m.id,
    name: m.name,
    format: m.format,
    inputSize: pre.inputSize,
    featureSize: z?.featureSize ?? null,
    licence: z?.licence ?? m.onnx?.licence ?? 'unknown (imported)',
    source: m.source,
    available: true,
    confirmed: z?.confirmed ?? true,
    sizeBytes: m.sizeBytes,
    url: z?.url ?? null,
  };
}

function describeZoo(z: ZooModel): BaseModelInfo {
  return {
    id: z.id,
    name: z.name,
    format: z.format,
    inputSize: z.preprocessing.inputSize,
    featureSize: z.featureSize,
    licence: z.licence,
    source: 'zoo',
    available: false,
    confirmed: z.confirmed,
    sizeBytes: z.sizeBytes,
    url: z.url,
  };
}
