/** The queries behind MegaDetector JSON out and in: boxes per image, paths to match, new ids. */
import type Database from 'better-sqlite3';
import type { Detection } from '../../../../shared/types';
import { imageDetections } from './box-items';

/** Every box of a detector (and people's), per image, for export: images in id order. */
export function detectionsForExport(
  db: Database.Database,
  detector: string,
): {
  imageId: number;
  rootId: number;
  relPath: string;
  error: string | null;
  boxes: Detection[];
}[] {
  const images = db
    .prepare(
      `SELECT i.id AS imageId, i.root_id AS rootId, i.rel_path AS relPath, di.error AS error
         FROM images i JOIN detection_images di ON di.hash = i.hash AND di.detector = ?
        WHERE i.status = 'ok' AND i.missing = 0 ORDER BY i.id`,
    )
    .all(detector) as { imageId: number; rootId: number; relPath: string; error: string | null }[];
  return images.map((img) => ({ ...img, boxes: imageDetections(db, img.imageId, detector) }));
}

/** Every image with its root and path, to match the files named in imported results. */
export function imagePaths(
  db: Database.Database,
): { id: number; hash: string | null; rootId: number; relPath: string }[] {
  return db
    .prepare(
      `SELECT id, hash, root_id AS rootId, rel_path AS relPath FROM images
        WHERE status = 'ok' AND missing = 0 ORDER BY id`,
    )
    .all() as { id: number; hash: string | null; rootId: number; relPath: string }[];
}

/** Imported boxes above `afterId` that carry a class (a results file's classifications), oldest first. */
export function importedClassedBoxes(
  db: Database.Database,
  detector: string,
  afterId: number,
): { id: number; class_id: number }[] {
  return db
    .prepare(
      `SELECT id, class_id FROM detections
        WHERE detector = ? AND source = 'import' AND id > ? AND class_id IS NOT NULL
          AND status != 'deleted' ORDER BY id`,
    )
    .all(detector, afterId) as { id: number; class_id: number }[];
}

/** The largest box id so far (0 without boxes): what a later import adds lies above it. */
export function lastBoxId(db: Database.Database): number {
  return (
    (db.prepare('SELECT MAX(id) AS id FROM detections').get() as { id: number | null }).id ?? 0
  );
}
