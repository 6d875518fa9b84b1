import fs from 'node:fs';
import path from 'node:path';
import type { ExportApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type {
  BundleExportOptions,
  CamtrapClassMapping,
  DatasetExportOptions,
  ExportKind,
  JobInfo,
  LabelImportResult,
  LabelMode,
} from '../../../shared/types';
import { writeOnnxBaseBundle } from '../export/bundle-onnx-base';
import { writeBundle } from '../export/bundle';
import { normaliseOffset, writeCamtrapDp } from '../export/camtrap-dp';
import { camtrapMapping, saveCamtrapMapping } from '../export/camtrap-mapping';
import { writeLabelsCsv } from '../export/csv';
import { listExports, recordExport } from '../export/export-log';
import { writeImageFolder } from '../export/imagefolder';
import { PrivacyWriter } from '../export/privacy';
import { LabelStore } from '../labels/label-store';
import { applyLabelsCsv, readLabelsCsv } from '../export/label-import';
import { markUnfinished, prepareEmptyDir } from '../export/out-dir';
import { refuseExisting } from '../util/fs-atomic';
import { modelFormat } from '../ml/model-io';
import type { JobContext } from '../jobs/job-registry';
import { RunStore } from '../train/run-store';
import type { Workspace } from './workspace';
import { newestDoneRun } from './run-models';
import {
  labelOptions,
  oneOf,
  privacyOptions,
  requireObject,
  requirePath,
  requireString,
} from './validate';
import { resolveDetector } from '../detect/detector-zoo';
import type { DetectorSpec } from '../detect/detector-spec';
import { detectorsUsed } from '../detect/detection-store';

/** The detector threshold of a bundle when the export does not say (the detect panel's default). */
const DEFAULT_BUNDLE_THRESHOLD = 0.2;

const FORMATS = ['csv', 'imagefolder', 'camtrap-dp'] as const;

/** The `export` domain: dataset exports, model bundles, label import, export history. */
// eslint-disable-next-line max-lines-per-function -- the export domain's method table; each method is a short adapter to core/export.
export function createExportService(ctx: Workspace): ExportApi {
  /** Runs an export as a job and records its outcome in the project. */
  const asJob = (
    kind: ExportKind,
    title: string,
    out: string,
    runId: number | null,
    work: (job: JobContext) => Promise<string>,
    again: (freshOut: string) => Promise<JobInfo>,
    /** A folder of files (not one file written whole): marked unfinished while written. */
    folder = true,
  ) => {
    const store = ctx.requireStore();
    // A failed export may have left files behind: the retry writes into a new folder.
    const retry = ctx.retryInProject(() => again(nextFreePath(out)));
    return ctx.jobs.start(
      'export',
      title,
      async (job) => {
        let summary: string;
        try {
          // Start on a later turn, so the caller holds the job id before any progress arrives.
          await new Promise((resolve) => setImmediate(resolve));
          const unfinished = folder ? markUnfinished(out) : null;
          summary = await work(job);
          unfinished?.finish();
        } catch (err) {
          if (store.db.open && !store.readOnly && !job.signal.aborted) {
            const rec = recordExport(store.db, {
              kind,
              path: out,
              runId,
              state: 'failed',
              summary: err instanceof Error ? err.message : String(err),
            });
            ctx.bus.emit('export:recorded', rec);
          }
          throw err;
        }
        job.phase(summary, 1);
        job.progress(1);
        // A project opened read-only (read-only media, owned elsewhere) keeps no history.
        if (!store.db.open || store.readOnly) return;
        const rec = recordExport(store.db, { kind, path: out, runId, state: 'done', summary });
        ctx.bus.emit('export:recorded', rec);
      },
      0,
      { subject: kind, retry },
    ).info;
  };

  const api: ExportApi = {
    async dataset(input) {
      const o = requireObject(input, 'options') as Partial<DatasetExportOptions>;
      const format = o.format;
      if (!format || !(FORMATS as readonly string[]).includes(format))
        throw new OcellusError('INVALID_ARGUMENT', `format is one of ${FORMATS.join(', ')}`);
      const linkMode = oneOf(o.linkMode, ['copy', 'hardlink'] as const, 'copy', 'linkMode');
      const deploymentsBy = oneOf(
        o.deploymentsBy,
        ['root', 'camera'] as const,
        'root',
        'deploymentsBy',
      );
      // Checked before the folder is made: a bad offset is refused, not written as +00:00.
      if (format === 'camtrap-dp' && o.timezone !== undefined)
        normaliseOffset(requireString(o.timezone, 'timezone'));
      const out = requirePath(o.out, 'out');
      const store = ctx.requireStore();
      if (format !== 'csv') prepareEmptyDir(out);
      else if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
        throw new OcellusError('ALREADY_EXISTS', `${out} is a file, not a folder`);
      } else refuseExisting(path.join(out, 'labels.csv'));
      const privacy = privacyOptions(o.privacy, format);
      const again = (freshOut: string) => api.dataset({ ...o, format, out: freshOut });
      return asJob(
        format,
        `Export ${format}`,
        out,
        null,
        async (job) => {
          const progress = (done: number, total: number) => job.progress(done, total);
          job.phase(`Writing ${format}`, 0);
          if (format === 'csv') {
            const r = writeLabelsCsv(store.db, out, progress);
            return `${r.rows} images → ${r.file}`;
          }
          if (format === 'imagefolder') {
            const writer = privacy ? new PrivacyWriter(privacy) : undefined;
            const r = await writeImageFolder(store.db, out, {
              mode: linkMode,
              signal: job.signal,
              onProgress: progress,
              ...(writer ? { privacy: writer } : {}),
            });
            const split = r.splitFromRun ? `split of run ${r.splitFromRun}` : 'no run: all/';
            const how = writer ? 'private copies, see privacy-log.json' : linkMode;
            const warned = writer?.warnings() ? `, ${writer.warnings()} with a warning` : '';
            return `${r.files} files (${how}, ${split})${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}${warned}`;
          }
          const r = writeCamtrapDp(store.db, out, store.summary().name, {
            deploymentsBy,
            timezone: o.timezone,
            appVersion: ctx.options.appVersion,
            signal: job.signal,
            onProgress: progress,
          });
          return `${r.deployments} deployments, ${r.media} media, ${r.observations} observations${r.skipped.length ? `, ${r.skipped.length} unreadable images left out` : ''}${r.warnings.length ? ` — ${r.warnings.join('; ')}` : ''}`;
        },
        again,
        // A CSV is one file written whole into a folder that may hold other things.
        format !== 'csv',
      );
    },
    async bundle(input) {
      const o = requireObject(input, 'options') as Partial<BundleExportOptions>;
      const out = requirePath(o.out, 'out');
      const store = ctx.requireStore();
      const runs = new RunStore(store.db);
      const runId = typeof o.runId === 'number' ? o.runId : newestDoneRun(runs);
      const run = runs.get(runId);
      const head = runs.head(runId);
      if (run.status !== 'done' || !head)
        throw new OcellusError('INVALID_ARGUMENT', `Run ${runId} has no trained model to export`);
      const zoo = ctx.models.zoo();
      const model = await ctx.resolveRunModel(run);
      const stored = ctx.models.stored.find(run.config.baseModel);
      const entry = zoo.find((z) => z.id === (stored?.zooId ?? run.config.baseModel));
      const onnxBase = modelFormat(model.modelJson) === 'onnx';
      if (!onnxBase && modelFormat(model.modelJson) !== 'layers')
        throw new OcellusError(
          'UNSUPPORTED',
          `${model.id} is a Graph model: bundles need a Layers base model to merge with the head`,
        );
      const detector = bundleDetectorChoice(ctx, o, run.config.unit === 'box');
      if (o.zip === true) refuseExisting(`${out.replace(/[\\/]+$/, '')}.zip`);
      prepareEmptyDir(out);
      return asJob(
        'bundle',
        `Model bundle of run ${runId}`,
        out,
        runId,
        async (job) => {
          const r = await (onnxBase ? writeOnnxBaseBundle : writeBundle)(job, {
            db: store.db,
            run,
            head,
            estimateHead: runs.estimateHead(runId),
            model,
            baseName: entry?.name ?? stored?.name ?? model.id,
            licence: entry?.licence ?? 'unknown (imported by the user)',
            projectName: store.summary().name,
            appVersion: ctx.options.appVersion,
            backend: ctx.backend(),
            out,
            zip: o.zip === true,
            detector,
          });
          return `Run ${runId}: ${r.classes} classes, ${(r.bytes / 1e6).toFixed(1)} MB${r.zip ? ` + ${path.basename(r.zip)}` : ''}`;
        },
        (freshOut) => api.bundle({ ...o, runId, out: freshOut }),
      );
    },
    async importLabels(file, options) {
      const store = ctx.requireStore();
      const opts = labelOptions(options);
      const csv = requirePath(file, 'file');
      const records = await readLabelsCsv(csv);
      const out: { result?: LabelImportResult } = {};
      try {
        store.db.transaction(() => {
          const mode = (): LabelMode => store.summary().labelMode;
          out.result = applyLabelsCsv(store.db, records, csv, mode, opts);
          // Not confirmed yet: nothing of the import stays, not even the classes it made.
          if (out.result.replacesHuman) throw ASKED;
        })();
      } catch (err) {
        if (err !== ASKED) throw err;
      }
      const result = out.result;
      if (!result) throw new OcellusError('INTERNAL', 'The label import returned nothing');
      const labels = new LabelStore(store.db, () => store.summary().labelMode);
      ctx.bus.emit('labels:changed', {
        imageIds: result.imageIds,
        classesChanged: true,
        canUndo: labels.canUndo(),
        canRedo: labels.canRedo(),
      });
      return result;
    },
    async history() {
      return listExports(ctx.requireStore().db);
    },
    async camtrapMapping() {
      return camtrapMapping(ctx.requireStore().db);
    },
    async setCamtrapMapping(entries) {
      if (!Array.isArray(entries))
        throw new OcellusError('INVALID_ARGUMENT', 'entries must be a list');
      return saveCamtrapMapping(ctx.requireStore().db, entries as CamtrapClassMapping[]);
    },
  };
  return api;
}

/** `path` itself when nothing is there, else the first free `path-2`, `path-3`… */
function nextFreePath(p: string): string {
  if (!fs.existsSync(p)) return p;
  for (let i = 2; ; i++) if (!fs.existsSync(`${p}-${i}`)) return `${p}-${i}`;
}

const ASKED = new Error('asked first');

/**
 * The detector a bundle export includes, resolved as the detection job resolves it, or null.
 * A box run detects by default (`detector` absent): with the detector last run on the project,
 * else the built-in; `detector: null` opts out.
 */
function bundleDetectorChoice(
  ctx: Workspace,
  o: Partial<BundleExportOptions>,
  boxRun: boolean,
): { spec: DetectorSpec; threshold: number } | null {
  if (o.detector === null || (o.detector === undefined && !boxRun)) return null;
  const choice =
    o.detector === undefined
      ? lastDetectorId(ctx.requireStore().db)
      : requireString(o.detector, 'detector');
  const threshold = o.detectorThreshold ?? DEFAULT_BUNDLE_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))
    throw new OcellusError('INVALID_ARGUMENT', 'detectorThreshold is a number from 0 to 1');
  try {
    return {
      spec: resolveDetector(choice, ctx.options.resourcesDir, ctx.options.appDataDir),
      threshold,
    };
  } catch (e) {
    if (o.detector !== undefined) throw e;
    // A detector run from a folder is known here only by its key: ask for the folder.
    throw new OcellusError(
      'NOT_FOUND',
      `A box run's bundle includes the detector that made its boxes (${choice}), which is not a detector id here: pass its folder as the detector, or export without a detector`,
    );
  }
}

/**
 * The id of the detector last run on the project (keys are `id@hash`), or null (built-in).
 * Imported results (`import:…`) name no model a bundle could carry, so they are passed over.
 */
function lastDetectorId(db: Parameters<typeof detectorsUsed>[0]): string | null {
  const key = detectorsUsed(db).find((k) => !k.startsWith('import:'));
  return key === undefined ? null : (key.split('@')[0] ?? null);
}
