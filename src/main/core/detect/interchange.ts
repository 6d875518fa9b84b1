import path from 'node:path';
import type Database from 'better-sqlite3';
import type { DetectionImportResult } from '../../../shared/types';
import { ensureClass } from '../labels/class-store';
import type { CategoryBox } from './box-math';
import { MD_CATEGORY_IDS } from './categories';
import type { DetectOutcome } from './detect-protocol';
import { detectionsForExport, imagePaths, writeOutcomes } from './detection-store';
import {
  MD_FORMAT_VERSION,
  mdCategory,
  mdDetectionCategories,
  roundConf,
  roundCoord,
  type MdBatchOutput,
  type MdDetection,
  type MdImage,
} from './megadetector-format';

/** A root folder of the project. */
export interface RootRef {
  id: number;
  path: string;
}

/**
 * The name of an image in results files: its path inside its root, with '/' separators, as
 * MegaDetector writes it relative to the folder it ran on. With several roots the root
 * folder's name comes first, so names stay unique.
 */
export function resultsFileName(
  roots: readonly RootRef[],
  rootId: number,
  relPath: string,
): string {
  if (roots.length <= 1) return relPath;
  const root = roots.find((r) => r.id === rootId);
  return root ? `${path.basename(root.path)}/${relPath}` : relPath;
}

/** A detector's results in the project as MegaDetector batch output. */
export function exportMegaDetector(
  db: Database.Database,
  detector: string,
  roots: readonly RootRef[],
  classNames: ReadonlyMap<number, string>,
): MdBatchOutput {
  const classIds = new Map<number, string>();
  const classKey = (id: number) => {
    let key = classIds.get(id);
    if (key === undefined) {
      key = String(classIds.size + 1);
      classIds.set(id, key);
    }
    return key;
  };
  const images: MdImage[] = detectionsForExport(db, detector).map((img) => {
    const file = resultsFileName(roots, img.rootId, img.relPath);
    if (img.error) return { file, failure: img.error };
    const detections: MdDetection[] = img.boxes.map((b) => ({
      category: MD_CATEGORY_IDS[b.category],
      conf: roundConf(b.confidence),
      bbox: [
        roundCoord(b.box[0]),
        roundCoord(b.box[1]),
        roundCoord(b.box[2]),
        roundCoord(b.box[3]),
      ],
      ...(b.classId !== null && classNames.has(b.classId)
        ? { classifications: [[classKey(b.classId), roundConf(b.classConf ?? 1)]] }
        : {}),
    }));
    const max = detections.reduce((m, d) => Math.max(m, d.conf), 0);
    return { file, max_detection_conf: max, detections };
  });
  const classification = Object.fromEntries(
    [...classIds].map(([id, key]) => [key, classNames.get(id) ?? String(id)]),
  );
  return {
    info: {
      format_version: MD_FORMAT_VERSION,
      detector: detector.split('@')[0] ?? detector,
      detection_completion_time: new Date().toISOString(),
      ocellus_detector_key: detector,
    },
    detection_categories: mdDetectionCategories(),
    ...(classIds.size > 0 ? { classification_categories: classification } : {}),
    images,
  };
}

/**
 * Reads MegaDetector batch output into the project as a detector's results: files are matched
 * to images by their path inside a root (or root folder name + path); classifications become
 * box labels, creating classes that are missing. Files that match nothing are listed.
 */
export function importMegaDetector(
  db: Database.Database,
  output: MdBatchOutput,
  roots: readonly RootRef[],
): DetectionImportResult {
  const detector = `import:${String(output.info.detector ?? 'megadetector')}`;
  const byName = new Map<string, string>();
  for (const img of imagePaths(db)) {
    if (!img.hash) continue;
    byName.set(img.relPath, img.hash);
    byName.set(resultsFileName(roots, img.rootId, img.relPath), img.hash);
    const root = roots.find((r) => r.id === img.rootId);
    if (root) byName.set(`${path.basename(root.path)}/${img.relPath}`, img.hash);
  }
  const classIds = new Map<string, number>();
  const outcomes: DetectOutcome[] = [];
  const unmatched: string[] = [];
  let boxes = 0;
  db.transaction(() => {
    for (const img of output.images) {
      const hash = byName.get(img.file.replace(/\\/g, '/').replace(/^\.\//, ''));
      if (!hash) {
        unmatched.push(img.file);
        continue;
      }
      if (img.failure) {
        outcomes.push({ key: hash, error: img.failure });
        continue;
      }
      const list: CategoryBox[] = [];
      for (const d of img.detections ?? []) {
        const category = mdCategory(output, d.category);
        if (!category) continue;
        const [cls, conf] = d.classifications?.[0] ?? [];
        let classId: number | null = null;
        if (cls !== undefined) {
          const name = output.classification_categories?.[cls] ?? cls;
          classId = classIds.get(name) ?? ensureClass(db, name);
          classIds.set(name, classId);
        }
        list.push({ category, confidence: d.conf, box: d.bbox, classId, classConf: conf ?? null });
      }
      boxes += list.length;
      outcomes.push({ key: hash, boxes: list });
    }
    writeOutcomes(db, detector, outcomes, 'import');
  })();
  return { detector, images: outcomes.length, boxes, unmatched };
}
