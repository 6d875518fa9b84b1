import fs from 'node:fs';
import path from 'node:path';
import type { DetectApi, DetectionFilter } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import {
  DETECTION_CATEGORIES,
  type Detection,
  type DetectionCountsQuery,
  type LabelChange,
  type NormalisedBox,
} from '../../../shared/types';
import { ClassStore } from '../labels/class-store';
import { LabelStore } from '../labels/label-store';
import { runDetection } from '../detect/detect-job';
import {
  boxesByCamera,
  detectionById,
  detectionFilterClauses,
  detectorsUsed,
  imageDetections,
  imagePaths,
  imageTops,
  pageDetections,
  lastBoxId,
  readableContents,
  updateDetection,
  setStatic,
} from '../detect/detection-store';
import { detectorKey } from '../detect/detector-spec';
import { listDetectors, resolveDetector } from '../detect/detector-zoo';
import { addFilterClauses } from '../library/filter-clauses';
import { countVerdicts, verdicts } from '../detect/filtering';
import { exportMegaDetector, importMegaDetector } from '../detect/interchange';
import { markEmpty } from '../detect/mark-empty';
import { parseMdBatchOutput } from '../detect/megadetector-format';
import { findStaticBoxes } from '../detect/static-boxes';
import {
  adoptImportedClasses,
  addDrawnBox,
  changeBox,
  labelBoxes,
  labelHistory,
  uncertainBoxes,
} from '../detect/box-labels';
import { writeNewFile } from '../util/fs-atomic';
import { readTextSafe } from '../util/safe-fs';
import type { Workspace } from './workspace';
import { requireObject, requirePath } from './validate';

/** Largest results file read: MegaDetector output for 10^6 images is a few hundred MB. */
const MAX_RESULTS_BYTES = 1024 * 1024 * 1024;

/** The `detect` domain: detectors, detection jobs, boxes, empty filtering, interchange. */
// eslint-disable-next-line max-lines-per-function -- the detect domain's method table (14 methods, each a few lines over core/detect); they share the detector choice held here.
export function createDetectService(ctx: Workspace): DetectApi {
  // The grid's detection filter runs inside the library's image query.
  addFilterClauses(detectionFilterClauses);
  const db = () => ctx.requireStore().db;
  const roots = () =>
    ctx
      .requireLibrary()
      .roots()
      .map((r) => ({ id: r.id, path: r.path }));
  const changed = (detector: string | null) => ctx.bus.emit('detect:changed', { detector });
  const labelsChanged = (change: LabelChange, classesChanged = false) => {
    changed(null);
    ctx.bus.emit('labels:changed', {
      imageIds: change.imageIds,
      classesChanged,
      canUndo: change.canUndo,
      canRedo: change.canRedo,
    });
  };
  /** The detector a query means: the one named, else the latest with results here. */
  const chosen = (detector: unknown): string | null => {
    if (detector !== undefined && detector !== null) {
      if (typeof detector !== 'string')
        throw new OcellusError('INVALID_ARGUMENT', 'detector must be a string');
      return detector;
    }
    return detectorsUsed(db())[0] ?? null;
  };
  const required = (detector: unknown): string => {
    const d = chosen(detector);
    if (!d) throw new OcellusError('NOT_FOUND', 'No detector has run on this project yet');
    if (!detectorsUsed(db()).includes(d)) {
      throw new OcellusError(
        'NOT_FOUND',
        `No results of detector ${d.slice(0, 200)} in this project`,
      );
    }
    return d;
  };
  const query = (q: unknown) => {
    const o = requireObject(q, 'query');
    const threshold = o['threshold'];
    if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
      throw new OcellusError('INVALID_ARGUMENT', 'threshold must be a number in [0, 1]');
    }
    return { threshold, detector: chosen(o['detector']), burstAware: o['burstAware'] !== false, o };
  };

  const api: DetectApi = {
    async detectors() {
      return listDetectors(ctx.options.resourcesDir, ctx.options.appDataDir);
    },
    async run(options) {
      const o = options === undefined ? {} : requireObject(options, 'options');
      const choice = typeof o['detector'] === 'string' ? o['detector'] : null;
      const minConfidence = typeof o['minConfidence'] === 'number' ? o['minConfidence'] : undefined;
      const batchSize = o['batchSize'];
      if (batchSize !== undefined && !(Number.isInteger(batchSize) && (batchSize as number) >= 1)) {
        throw new OcellusError('INVALID_ARGUMENT', 'batchSize must be a positive integer');
      }
      const spec = resolveDetector(choice, ctx.options.resourcesDir, ctx.options.appDataDir);
      const store = ctx.requireStore();
      const library = ctx.requireLibrary();
      const key = await detectorKey(spec);
      const workerFile = ctx.options.mlWorkerFile
        ? path.join(path.dirname(ctx.options.mlWorkerFile), 'detect-worker.js')
        : null;
      return ctx.jobs.start(
        'detect',
        `Detecting with ${spec.name}`,
        async (job) => {
          try {
            await runDetection(job, {
              db: store.db,
              rootPath: (rootId) => library.roots().find((r) => r.id === rootId)?.path ?? null,
              spec,
              detector: key,
              workerFile: workerFile && fs.existsSync(workerFile) ? workerFile : null,
              backend: ctx.backend(),
              minConfidence,
              batchSize: batchSize as number | undefined,
            });
          } finally {
            changed(key);
          }
        },
        0,
        { subject: key, retry: ctx.retryInProject(() => api.run(options)) },
      ).info;
    },
    async used() {
      return detectorsUsed(db());
    },
    async counts(q: DetectionCountsQuery) {
      const { threshold, detector, burstAware } = query(q);
      const readable = readableContents(db());
      if (!detector) return countVerdicts([], readable, null, threshold);
      return countVerdicts(
        verdicts(imageTops(db(), detector), threshold, burstAware),
        readable,
        detector,
        threshold,
      );
    },
    async imageIds(q) {
      const { threshold, detector, burstAware, o } = query(q);
      const category = o['category'] as DetectionFilter;
      if (!['empty', ...DETECTION_CATEGORIES].includes(category)) {
        throw new OcellusError('INVALID_ARGUMENT', 'category is empty, animal, person or vehicle');
      }
      if (!detector) return [];
      return verdicts(imageTops(db(), detector), threshold, burstAware)
        .filter((v) => (category === 'animal' ? v.animal || v.burstKept : v[category]))
        .map((v) => v.imageId);
    },
    async tileBoxes(q) {
      const o = requireObject(q, 'query');
      const ids = o['imageIds'];
      if (!Array.isArray(ids) || ids.length > 5000)
        throw new OcellusError('INVALID_ARGUMENT', 'imageIds is a list of at most 5000 ids');
      const threshold = o['threshold'];
      if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))
        throw new OcellusError('INVALID_ARGUMENT', 'threshold is a number from 0 to 1');
      const list = ids.map((id, i) => requireId(id, `imageIds[${i}]`));
      const out: Record<number, Detection[]> = {};
      for (const d of pageDetections(db(), list, chosen(o['detector']), threshold))
        (out[d.imageId] ??= []).push(d);
      return out;
    },
    async boxes(imageId, detector) {
      return imageDetections(db(), requireId(imageId, 'imageId'), chosen(detector));
    },
    async updateBox(id, change) {
      const c = requireObject(change, 'change');
      const boxId = requireId(id, 'id');
      if (!detectionById(db(), boxId)) throw new OcellusError('NOT_FOUND', `No box ${boxId}`);
      if (c['classId'] !== undefined && c['classId'] !== null)
        new ClassStore(db()).get(requireId(c['classId'], 'classId'));
      const status = optionalEnum(c['status'], ['pending', 'confirmed', 'deleted'], 'status');
      // Where it is and what it shows are edits outside the history; its status and class are
      // undoable steps, as drawing it is.
      updateDetection(db(), boxId, {
        category: optionalEnum(c['category'], DETECTION_CATEGORIES, 'category'),
        box: c['box'] === undefined ? undefined : requireBox(c['box']),
      });
      const store = ctx.requireStore();
      const history = labelHistory(store);
      const step = changeBox(store.db, history, boxId, {
        status,
        classId: c['classId'] as number | null | undefined,
      });
      const after = detectionById(db(), boxId);
      changed(after?.detector ?? null);
      if (step) labelsChanged(step);
      return after as NonNullable<typeof after>;
    },
    async addBox(input) {
      const o = requireObject(input, 'box');
      const imageId = requireId(o['imageId'], 'imageId');
      const hash = imagePaths(db()).find((i) => i.id === imageId)?.hash;
      if (!hash) throw new OcellusError('NOT_FOUND', `No readable image ${imageId}`);
      const category = optionalEnum(o['category'], DETECTION_CATEGORIES, 'category') ?? 'animal';
      const classId =
        o['classId'] === undefined || o['classId'] === null
          ? null
          : requireId(o['classId'], 'classId');
      if (classId !== null) new ClassStore(db()).get(classId);
      const store = ctx.requireStore();
      const labels = labelHistory(store);
      const { id, change } = addDrawnBox(
        store.db,
        labels,
        { id: imageId, hash },
        { category, confidence: 1, box: requireBox(o['box']) },
        classId,
      );
      labelsChanged(change);
      return detectionById(db(), id) as NonNullable<ReturnType<typeof detectionById>>;
    },
    async labelBoxes(boxIds, classId) {
      if (!Array.isArray(boxIds))
        throw new OcellusError('INVALID_ARGUMENT', 'boxIds must be a list');
      const ids = boxIds.map((id) => requireId(id, 'boxId'));
      const cls = classId === null ? null : requireId(classId, 'classId');
      const store = ctx.requireStore();
      const labels = labelHistory(store);
      const change = labelBoxes(store.db, labels, ids, cls);
      if (change.imageIds.length > 0) labelsChanged(change);
      return change;
    },
    async uncertainBoxes(limit) {
      const n = limit === undefined ? 50 : requireId(limit, 'limit');
      return uncertainBoxes(db(), Math.min(n, 10_000));
    },
    async markEmpty(options) {
      const { threshold, detector, burstAware, o } = query(options);
      const store = ctx.requireStore();
      const result = markEmpty(store.db, {
        detector: required(detector),
        threshold,
        burstAware,
        className:
          typeof o['className'] === 'string' && o['className'].trim()
            ? o['className'].trim()
            : 'empty',
        preview: o['preview'] === true,
        replaceHuman: o['replaceHuman'] === true,
        labelMode: store.summary().labelMode,
      });
      if (result.imageIds.length > 0) {
        const labels = new LabelStore(store.db, () => store.summary().labelMode);
        ctx.bus.emit('labels:changed', {
          imageIds: result.imageIds,
          classesChanged: true,
          canUndo: labels.canUndo(),
          canRedo: labels.canRedo(),
        });
      }
      return {
        labelled: result.labelled,
        candidates: result.candidates,
        humanLabelled: result.humanLabelled,
        batchId: result.batchId,
      };
    },
    async staticBoxes(options) {
      const o = options === undefined ? {} : requireObject(options, 'options');
      const detector = chosen(o['detector']);
      if (!detector) return [];
      const minImages = typeof o['minImages'] === 'number' ? o['minImages'] : 5;
      return findStaticBoxes(boxesByCamera(db(), detector, 0.05), minImages);
    },
    async suppressStatic(ids) {
      if (!Array.isArray(ids))
        throw new OcellusError('INVALID_ARGUMENT', 'detectionIds must be a list');
      const list = ids.map((id) => requireId(id, 'detection id'));
      const d = db();
      d.transaction(() => {
        setStatic(d, list, true);
        for (const id of list) updateDetection(d, id, { status: 'deleted' });
      })();
      changed(null);
      return list.length;
    },
    async importResults(file, options) {
      const target = requirePath(file, 'file');
      const asLabels =
        options !== undefined && requireObject(options, 'options')['labels'] === true;
      let json: unknown;
      try {
        json = JSON.parse(await readTextSafe(target, { maxBytes: MAX_RESULTS_BYTES }));
      } catch (err) {
        if (err instanceof SyntaxError)
          throw new OcellusError('INVALID_ARGUMENT', `${target} is not JSON: ${err.message}`);
        throw err;
      }
      const before = lastBoxId(db());
      const result = importMegaDetector(db(), parseMdBatchOutput(json), roots());
      changed(result.detector);
      if (!asLabels) return result;
      const store = ctx.requireStore();
      const labels = labelHistory(store);
      const { change, boxes } = adoptImportedClasses(store.db, labels, result.detector, before);
      // The import may have made classes for the file's classification categories.
      if (change.imageIds.length > 0) labelsChanged(change, true);
      return { ...result, labelled: boxes };
    },
    async exportResults(file, detector) {
      const target = newFilePath(file);
      const key = required(detector);
      const names = new Map(new ClassStore(db()).list().map((c) => [c.id, c.name]));
      const output = exportMegaDetector(db(), key, roots(), names);
      writeNewFile(target, `${JSON.stringify(output, null, 1)}\n`);
      const boxes = output.images.reduce((n, i) => n + (i.detections?.length ?? 0), 0);
      return { file: target, detector: key, images: output.images.length, boxes };
    },
  };
  return api;
}

/**
 * A path to write a new file at: never an existing one (a file is not replaced, and a device,
 * FIFO or link there is never written through or renamed over), in a folder that exists.
 */
function newFilePath(value: unknown): string {
  const target = requirePath(value, 'file');
  let exists = true;
  try {
    fs.lstatSync(target);
  } catch {
    exists = false;
  }
  if (exists) {
    throw new OcellusError('ALREADY_EXISTS', `${target} already exists: choose a new file name`);
  }
  if (!fs.existsSync(path.dirname(target)) || !fs.statSync(path.dirname(target)).isDirectory()) {
    throw new OcellusError('NOT_FOUND', `No folder ${path.dirname(target)} to write into`);
  }
  return target;
}

function requireId(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new OcellusError('INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
  return value;
}

function optionalEnum<T extends string>(
  value: unknown,
  allowed: readonly T[],
  name: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T))
    throw new OcellusError('INVALID_ARGUMENT', `${name} is one of ${allowed.join(', ')}`);
  return value as T;
}

function requireBox(value: unknown): NormalisedBox {
  if (
    !Array.isArray(value) ||
    value.length !== 4 ||
    !value.every((v) => typeof v === 'number' && v >= 0 && v <= 1) ||
    (value[2] as number) <= 0 ||
    (value[3] as number) <= 0 ||
    (value[0] as number) + (value[2] as number) > 1.0001 ||
    (value[1] as number) + (value[3] as number) > 1.0001
  ) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'box is [x, y, width, height] inside the image, normalised to [0, 1]',
    );
  }
  return value as NormalisedBox;
}
