import fs from 'node:fs';
import type { MlApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import { embeddingStatus, runEmbedding } from '../ml/embedder';
import { activeBackend, initBackend, isBackendName, skippedBackends } from '../ml/tf-runtime';
import { engineStatus } from '../ml/engine-status';
import { readAppSettings, writeAppSettings } from '../app/app-settings';
import type { Workspace } from './workspace';
import { requireObject, requirePath, requireString } from './validate';
import { parseSavedModelChoice } from './saved-model-options';
import { inspectSavedModel } from '../ml/saved-model';
import { isSavedModelFolder } from '../ml/saved-model-files';

/** The `ml` domain: backends, base models, embeddings. */
// eslint-disable-next-line max-lines-per-function -- the ml domain's method table; each method is a short adapter to the model catalog and embedder.
export function createMlService(ctx: Workspace): MlApi {
  const api: MlApi = {
    async status() {
      const backend = activeBackend() ?? (await initBackend(ctx.backend()));
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
      return ctx.models.describeAll();
    },
    async downloadModel(id) {
      const entry = ctx.models.zoo().find((z) => z.id === requireString(id, 'id'));
      if (!entry) throw new OcellusError('NOT_FOUND', `No model ${id} in the zoo`);
      return ctx.jobs.start(
        'download',
        `Downloading ${entry.name}`,
        async (job) => {
          job.phase(`Downloading ${entry.name}`, entry.sizeBytes ?? 0);
          await ctx.models.stored.download(entry, {
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
      const savedModelFolder = isDir && isSavedModelFolder(target);
      // The choices describe a SavedModel's signature and input; a TF.js or ONNX model carries
      // its own preprocessing, and they were accepted and silently ignored.
      if (!savedModelFolder && choice && Object.keys(choice).length > 0)
        throw new OcellusError(
          'INVALID_ARGUMENT',
          `${target} is not a TensorFlow SavedModel: its signature, feature output, input size, resize and normalisation come with the model and cannot be chosen`,
        );
      if (savedModelFolder) {
        // The native backend must be the one in use: start the preferred one first.
        await initBackend(ctx.backend());
      }
      const stored = isDir
        ? await ctx.models.stored.importFolder(target, { savedModel: choice })
        : await ctx.models.stored.importFile(target);
      return ctx.models.describe(
        stored,
        ctx.models.zoo().find((z) => z.id === stored.zooId),
      );
    },
    async inspectSavedModel(p) {
      const target = requirePath(p, 'path');
      if (!isSavedModelFolder(target)) return null;
      await initBackend(ctx.backend());
      return inspectSavedModel(target);
    },
    async exportModel(id, file) {
      await ctx.models.stored.exportToFile(requireString(id, 'id'), requirePath(file, 'file'));
    },
    async embed(modelId, options) {
      const opts = options === undefined ? {} : requireObject(options, 'options');
      const model = ctx.models.resolve(requireString(modelId, 'modelId'));
      const store = ctx.requireStore();
      const source = ctx.embedSource();
      const batchSize = typeof opts['batchSize'] === 'number' ? opts['batchSize'] : undefined;
      return ctx.jobs.start(
        'embed',
        `Embeddings with ${model.id}`,
        async (job) => {
          await runEmbedding(job, { ...source, db: store.db, model, batchSize });
        },
        0,
        { subject: model.id, retry: ctx.retryInProject(() => api.embed(modelId, options)) },
      ).info;
    },
    async embeddingStatus(modelId) {
      const model = ctx.models.resolve(requireString(modelId, 'modelId'));
      return embeddingStatus(ctx.requireStore().db, model);
    },
  };
  return api;
}
