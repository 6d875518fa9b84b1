import { randomUUID } from 'node:crypto';
import type { PredictApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type {
  ManifestPredictOptions,
  PathPrefixMap,
  PredictInput,
  PredictSource,
  PredictionImportOptions,
  ShardSpec,
} from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import { predictInputs } from '../export/manifest';
import { collectImageFiles } from '../export/image-files';
import { bundlePredictor, type Predictor } from '../export/predict';
import { importPredictionRecords } from '../export/prediction-import';
import { predictManifest } from '../export/shard-predict';
import { initBackend } from '../ml/tf-runtime';
import type { Workspace } from './workspace';
import { createRunPredictor } from './run-models';
import { requireObject, requirePath, requireString } from './validate';

/** A file path, or `{ path, frame }` for one frame of a multi-frame file. */
function predictInput(value: unknown, name: string): PredictInput {
  if (typeof value === 'string') return requirePath(value, name);
  const o = requireObject(value, name);
  const frame = o['frame'];
  if (typeof frame !== 'number' || !Number.isSafeInteger(frame) || frame < 0)
    throw new OcellusError('INVALID_ARGUMENT', `${name}.frame must be a whole number ≥ 0`);
  return { path: requirePath(o['path'], `${name}.path`), frame };
}

/** The `predict` domain: classifiers by id, manifests in shards, and importing their records. */
// eslint-disable-next-line max-lines-per-function -- the predict domain's method table; each method is short and shares the open classifiers held here.
export function createPredictService(ctx: Workspace, onImported: () => Promise<void>): PredictApi {
  const open = new Map<string, Predictor>();
  const predictor = (id: unknown): Predictor => {
    const p = open.get(requireString(id, 'predictorId'));
    if (!p) throw new OcellusError('NOT_FOUND', `No open classifier ${String(id)}`);
    return p;
  };
  const load = async (source: PredictSource): Promise<Predictor> => {
    const s = requireObject(source, 'source');
    if (s['bundle'] !== undefined) {
      const dir = requirePath(s['bundle'], 'source.bundle');
      await initBackend(null);
      return bundlePredictor(dir);
    }
    const runId = s['runId'];
    if (runId !== undefined && !Number.isSafeInteger(runId))
      throw new OcellusError('INVALID_ARGUMENT', 'source.runId must be an integer');
    return createRunPredictor(ctx, runId as number | undefined);
  };
  /** Runs work as a job (progress events, cancel) and resolves with its outcome. */
  const asJob = async <T>(
    kind: string,
    title: string,
    work: (job: JobContext) => Promise<T>,
  ): Promise<T> => {
    let result: T | undefined;
    const { done } = ctx.jobs.start(kind, title, async (job) => {
      result = await work(job);
    });
    const final = await done;
    if (final.state !== 'done' || result === undefined)
      throw new OcellusError(
        final.state === 'cancelled' ? 'CANCELLED' : (final.errorCode ?? 'INTERNAL'),
        final.error ?? `${title}: ${final.state}`,
      );
    return result;
  };

  const api: PredictApi = {
    async open(source) {
      const p = await load(source);
      const id = randomUUID();
      open.set(id, p);
      return {
        id,
        classes: p.classes,
        engine: p.engine,
        tta: p.tta,
        decides: Boolean(p.decisionRule),
        detects: p.detects === true,
      };
    },
    async images(id, files) {
      if (!Array.isArray(files)) throw new OcellusError('INVALID_ARGUMENT', 'files must be a list');
      const list = files.map((f, i) => predictInput(f, `files[${i}]`));
      const rows = await predictor(id).predict(list);
      return rows.map((r) => ({ ...r }));
    },
    async close(id) {
      predictor(id).dispose();
      open.delete(String(id));
    },
    async files(paths) {
      if (!Array.isArray(paths)) throw new OcellusError('INVALID_ARGUMENT', 'paths must be a list');
      const found = await collectImageFiles(paths.map((p, i) => requirePath(p, `paths[${i}]`)));
      const out: PredictInput[] = [];
      for (const file of found) out.push(...(await predictInputs(file)));
      return out;
    },
    async manifest(options: ManifestPredictOptions) {
      const o = requireObject(options, 'options');
      const manifest = requirePath(o['manifest'], 'manifest');
      const out = requirePath(o['out'], 'out');
      const shard = checkShard(o['shard']);
      const batchSize = o['batchSize'] === undefined ? undefined : Number(o['batchSize']);
      const p = await load(o['source'] as PredictSource);
      if (p.detects) {
        // A record per image is what shards resume by; a detecting bundle writes one per box.
        p.dispose();
        throw new OcellusError(
          'UNSUPPORTED',
          'This bundle detects first and writes a row per box: manifests and shards take bundles that classify whole images; give the files to ocellus predict or predict.mjs instead',
        );
      }
      const title = shard ? `Predictions, shard ${shard.index}/${shard.count}` : 'Predictions';
      try {
        return await asJob('predict-manifest', title, (job) =>
          predictManifest(
            p,
            { manifest, out, shard, resume: o['resume'] === true, batchSize },
            job,
          ),
        );
      } finally {
        p.dispose();
      }
    },
    async importRecords(options: PredictionImportOptions) {
      const o = requireObject(options, 'options');
      const name = requireString(o['name'], 'name').trim();
      if (!Array.isArray(o['files']) || o['files'].length === 0)
        throw new OcellusError('INVALID_ARGUMENT', 'files must list at least one file');
      const files = o['files'].map((f, i) => requirePath(f, `files[${i}]`));
      const prefixMap = checkPrefixMap(o['prefixMap']);
      const store = ctx.requireStore();
      if (store.readOnly)
        throw new OcellusError('READ_ONLY', 'The project is open read-only: nothing imported');
      const result = await asJob('import-predictions', `Importing predictions "${name}"`, (job) =>
        importPredictionRecords(store.db, { files, name, prefixMap }, job),
      );
      await onImported();
      return result;
    },
  };
  return ctx.options.host === 'cli' ? api : cliOnly(api);
}

/**
 * The namespace as the UI's hosts serve it: refused. It reads and writes any path the caller
 * names (bundles, manifests, outputs) and lists folders, which the renderer never needs and a
 * page must not get (the UI serves only files under the project's roots).
 */
function cliOnly(api: PredictApi): PredictApi {
  const refuse = async (): Promise<never> => {
    throw new OcellusError(
      'UNSUPPORTED',
      'Batch prediction runs from the command line (ocellus predict), not from the app',
    );
  };
  return Object.fromEntries(
    Object.keys(api).map((name) => [name, refuse]),
  ) as unknown as PredictApi;
}

function checkShard(value: unknown): ShardSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const s = requireObject(value, 'shard');
  const index = s['index'];
  const count = s['count'];
  if (
    !Number.isSafeInteger(index) ||
    !Number.isSafeInteger(count) ||
    (count as number) < 1 ||
    (index as number) < 0 ||
    (index as number) >= (count as number)
  )
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'shard must be {index, count} with 0 ≤ index < count',
    );
  return { index: index as number, count: count as number };
}

function checkPrefixMap(value: unknown): PathPrefixMap[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OcellusError('INVALID_ARGUMENT', 'prefixMap must be a list');
  return value.map((m, i) => {
    const o = requireObject(m, `prefixMap[${i}]`);
    return { from: requireString(o['from'], 'from'), to: requireString(o['to'], 'to') };
  });
}
