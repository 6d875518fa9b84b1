/** What each detector found, per image content: results written, what is left, top scores. */
import type Database from 'better-sqlite3';
import { cameraKey } from '../../library/sequences';
import type { DetectionSource } from '../../../../shared/types';
import type { DetectOutcome } from '../detect-protocol';
import type { CameraColumns } from './detection-rows';
import { contentsWithout, type ContentSource } from '../../library/image-table';

/** An image the detector has not processed yet: one per distinct content. */
export type DetectTodo = ContentSource;

/** Readable images (one per content hash: its first row) without a result for this detector yet. */
export function detectionTodo(db: Database.Database, detector: string): DetectTodo[] {
  return contentsWithout(db, {
    sql: 'EXISTS (SELECT 1 FROM detection_images d WHERE d.detector = ? AND d.hash = k.hash)',
    params: [detector],
  });
}

/** Writes a batch of results in one transaction: boxes, and that each image was processed. */
export function writeOutcomes(
  db: Database.Database,
  detector: string,
  outcomes: readonly DetectOutcome[],
  source: DetectionSource = 'model',
): { boxes: number; failed: number } {
  const now = new Date().toISOString();
  const done = db.prepare(
    `INSERT OR REPLACE INTO detection_images (hash, detector, width, height, error, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const clear = db.prepare(
    `DELETE FROM detections WHERE hash = ? AND detector = ? AND source = ? AND status = 'pending'`,
  );
  const insert = db.prepare(
    `INSERT INTO detections (hash, detector, category, confidence, x, y, w, h, source, class_id,
                             class_conf, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let boxes = 0;
  let failed = 0;
  db.transaction(() => {
    for (const o of outcomes) {
      done.run(o.key, detector, o.width ?? null, o.height ?? null, o.error ?? null, now);
      if (o.error) {
        failed++;
        continue;
      }
      clear.run(o.key, detector, source);
      for (const b of o.boxes ?? []) {
        insert.run(
          o.key,
          detector,
          b.category,
          b.confidence,
          ...b.box,
          source,
          b.classId ?? null,
          b.classConf ?? null,
          now,
        );
        boxes++;
      }
    }
  })();
  return { boxes, failed };
}

/** The detectors that have results in this project, most recently used first. */
export function detectorsUsed(db: Database.Database): string[] {
  return (
    db
      .prepare(
        `SELECT detector FROM detection_images GROUP BY detector ORDER BY MAX(created_at) DESC`,
      )
      .all() as { detector: string }[]
  ).map((r) => r.detector);
}

/** Per processed image: the top confidence per category (deleted boxes left out). */
export interface ImageTop {
  imageId: number;
  hash: string;
  sequenceId: number | null;
  cameraKey: string;
  error: string | null;
  animal: number;
  person: number;
  vehicle: number;
}

/** The top confidence per category of every readable image the detector processed. */
export function imageTops(db: Database.Database, detector: string): ImageTop[] {
  const rows = db
    .prepare(
      `SELECT i.id AS imageId, i.hash AS hash, i.sequence_id AS sequenceId,
              i.root_id AS rootId, i.rel_path AS relPath, i.camera_make AS make,
              i.camera_model AS model, i.camera_serial AS serial, di.error AS error,
              COALESCE(MAX(CASE WHEN d.category = 'animal' THEN d.confidence END), 0) AS animal,
              COALESCE(MAX(CASE WHEN d.category = 'person' THEN d.confidence END), 0) AS person,
              COALESCE(MAX(CASE WHEN d.category = 'vehicle' THEN d.confidence END), 0) AS vehicle
         FROM images i
         JOIN detection_images di ON di.hash = i.hash AND di.detector = @detector
         LEFT JOIN detections d ON d.hash = i.hash AND d.status != 'deleted'
              AND (d.detector = @detector OR d.source = 'human')
        WHERE i.status = 'ok' AND i.missing = 0
        GROUP BY i.id ORDER BY i.id`,
    )
    .all({ detector }) as (Omit<ImageTop, 'cameraKey'> & CameraColumns)[];
  return rows.map(({ rootId, relPath, make, model, serial, ...rest }) => ({
    ...rest,
    cameraKey: cameraKey(rootId, relPath, make, model, serial),
  }));
}

/** How many readable images there are (to say how many are not processed yet). */
export function readableImageCount(db: Database.Database): number {
  return (
    db
      .prepare(
        `SELECT COUNT(*) AS n FROM images WHERE status = 'ok' AND missing = 0 AND hash IS NOT NULL`,
      )
      .get() as { n: number }
  ).n;
}

/** How many distinct readable contents there are (what a detector processes). */
export function readableContents(db: Database.Database): number {
  return (
    db
      .prepare(
        `SELECT COUNT(DISTINCT hash) AS n FROM images WHERE status = 'ok' AND missing = 0 AND hash IS NOT NULL`,
      )
      .get() as { n: number }
  ).n;
}

/** Of these images, those with a human label of a class other than `className`. */
export function humanLabelledOtherwise(
  db: Database.Database,
  imageIds: readonly number[],
  className: string,
): number[] {
  const stmt = db.prepare(
    `SELECT 1 FROM labels l JOIN classes c ON c.id = l.class_id
      WHERE l.image_id = ? AND l.source = 'human' AND c.name != ? COLLATE NOCASE LIMIT 1`,
  );
  return imageIds.filter((id) => stmt.get(id, className) !== undefined);
}
