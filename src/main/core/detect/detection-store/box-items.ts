/** Boxes as items: read for an image or a page of tiles, edited, labelled, drawn, marked static. */
import type Database from 'better-sqlite3';
import type { Detection, DetectionCategory, NormalisedBox } from '../../../../shared/types';
import { cameraKey } from '../../library/sequences';
import type { CategoryBox } from '../box-math';
import {
  HUMAN_DETECTOR,
  toDetection,
  type CameraColumns,
  type DetectionRow,
} from './detection-rows';

/** An image's boxes from one detector and people (deleted ones only when asked). */
export function imageDetections(
  db: Database.Database,
  imageId: number,
  detector: string | null,
  withDeleted = false,
): Detection[] {
  const rows = db
    .prepare(
      `SELECT d.id, i.id AS image_id, d.detector, d.category, d.confidence, d.x, d.y, d.w, d.h,
              d.source, d.status, d.static, d.class_id, d.class_conf
         FROM images i JOIN detections d ON d.hash = i.hash
        WHERE i.id = @imageId AND (d.detector = @detector OR d.source = 'human')
          AND (@withDeleted = 1 OR d.status != 'deleted')
        ORDER BY d.confidence DESC, d.id`,
    )
    .all({ imageId, detector: detector ?? '', withDeleted: withDeleted ? 1 : 0 }) as DetectionRow[];
  return rows.map(toDetection);
}

/**
 * The boxes of many images at once, at or above a threshold (the grid's visible tiles): one
 * query per page of tiles rather than one per image; at most 5000 images per call.
 */
export function pageDetections(
  db: Database.Database,
  imageIds: readonly number[],
  detector: string | null,
  threshold: number,
): Detection[] {
  const rows = db
    .prepare(
      `SELECT d.id, i.id AS image_id, d.detector, d.category, d.confidence, d.x, d.y, d.w, d.h,
              d.source, d.status, d.static, d.class_id, d.class_conf
         FROM json_each(@ids) j JOIN images i ON i.id = j.value JOIN detections d ON d.hash = i.hash
        WHERE (d.detector = @detector OR d.source = 'human') AND d.status != 'deleted'
          AND d.confidence >= @threshold ORDER BY i.id, d.confidence DESC, d.id`,
    )
    .all({ ids: JSON.stringify(imageIds), detector: detector ?? '', threshold }) as DetectionRow[];
  return rows.map(toDetection);
}

/** One box by id. */
export function detectionById(db: Database.Database, id: number): Detection | null {
  const row = db
    .prepare(
      `SELECT d.id, COALESCE((SELECT MIN(i.id) FROM images i WHERE i.hash = d.hash), 0) AS image_id,
              d.detector, d.category, d.confidence, d.x, d.y, d.w, d.h, d.source, d.status,
              d.static, d.class_id, d.class_conf
         FROM detections d WHERE d.id = ?`,
    )
    .get(id) as DetectionRow | undefined;
  return row ? toDetection(row) : null;
}

/** Changes a box: its status, category, class or place. */
export function updateDetection(
  db: Database.Database,
  id: number,
  change: {
    status?: Detection['status'];
    category?: DetectionCategory;
    classId?: number | null;
    /** With classId: the classifier's confidence in it (undo); omitted, a person's class. */
    classConf?: number | null;
    box?: NormalisedBox;
    static?: boolean;
  },
): void {
  const cur = detectionById(db, id);
  if (!cur) return;
  const box = change.box ?? cur.box;
  db.prepare(
    `UPDATE detections SET status = ?, category = ?, class_id = ?, class_conf = ?, x = ?, y = ?, w = ?, h = ?, static = ?
      WHERE id = ?`,
  ).run(
    change.status ?? cur.status,
    change.category ?? cur.category,
    change.classId === undefined ? cur.classId : change.classId,
    // A class a person gives is theirs: no classifier confidence any more.
    change.classId === undefined ? cur.classConf : (change.classConf ?? null),
    ...box,
    (change.static ?? cur.static) ? 1 : 0,
    id,
  );
}

/** Adds a box a person drew on an image (by content hash); returns its id. */
export function addHumanDetection(
  db: Database.Database,
  hash: string,
  box: CategoryBox,
  classId: number | null,
): number {
  const r = db
    .prepare(
      `INSERT INTO detections (hash, detector, category, confidence, x, y, w, h, source, status, class_id, created_at)
       VALUES (?, ?, ?, 1, ?, ?, ?, ?, 'human', 'confirmed', ?, ?)`,
    )
    .run(hash, HUMAN_DETECTOR, box.category, ...box.box, classId, new Date().toISOString());
  return Number(r.lastInsertRowid);
}

/** A box as an item, with the first readable image of its content; classConf null: a person's class. */
export type LabelledBox = Pick<Detection, 'id' | 'box' | 'imageId' | 'classId' | 'classConf'> & {
  hash: string;
  rootId: number;
  relPath: string;
  /** The frame of a multi-frame file the box is on (0 otherwise). */
  frame: number;
};

/**
 * Boxes (not deleted, of any detector) on a readable image: 'labelled', those with a person's
 * class (a class with a classifier's confidence is not a person's); 'to-suggest', the animal
 * boxes without one, which a box run's suggestions are for.
 */
export function labelledBoxes(
  db: Database.Database,
  which: 'labelled' | 'to-suggest' = 'labelled',
): LabelledBox[] {
  const filter =
    which === 'labelled'
      ? 'd.class_id IS NOT NULL AND d.class_conf IS NULL'
      : "d.category = 'animal' AND NOT (d.class_id IS NOT NULL AND d.class_conf IS NULL)";
  const rows = db
    .prepare(
      `SELECT d.id, d.hash, d.x, d.y, d.w, d.h, d.class_id AS classId, d.class_conf AS classConf,
              i.id AS imageId, i.root_id AS rootId, i.rel_path AS relPath, i.frame AS frame
         FROM detections d
         JOIN images i ON i.id = (SELECT MIN(k.id) FROM images k
                                   WHERE k.hash = d.hash AND k.status = 'ok' AND k.missing = 0)
        WHERE ${filter} AND d.status != 'deleted'
        ORDER BY d.id`,
    )
    .all() as (Omit<LabelledBox, 'box'> & { x: number; y: number; w: number; h: number })[];
  return rows.map(({ x, y, w, h, ...r }) => ({ ...r, box: [x, y, w, h] }));
}

/** A classifier's class and confidence for boxes, never over a person's class. */
export function writeBoxSuggestions(
  db: Database.Database,
  items: readonly { id: number; classId: number | null; confidence: number }[],
): void {
  const stmt = db.prepare(
    `UPDATE detections SET class_id = ?, class_conf = ?
      WHERE id = ? AND NOT (class_id IS NOT NULL AND class_conf IS NULL)`,
  );
  db.transaction(() => {
    for (const it of items) stmt.run(it.classId, it.confidence, it.id);
  })();
}

/** Marks boxes as static (recurring at one place) or not. */
export function setStatic(db: Database.Database, ids: readonly number[], value: boolean): void {
  const stmt = db.prepare('UPDATE detections SET static = ? WHERE id = ?');
  db.transaction(() => {
    for (const id of ids) stmt.run(value ? 1 : 0, id);
  })();
}

/** Every live model box of a detector with the camera of its images (for static-box search). */
export function boxesByCamera(
  db: Database.Database,
  detector: string,
  minConfidence: number,
): { id: number; hash: string; cameraKey: string; box: NormalisedBox }[] {
  const rows = db
    .prepare(
      `SELECT d.id, d.hash, d.x, d.y, d.w, d.h, i.root_id AS rootId, i.rel_path AS relPath,
              i.camera_make AS make, i.camera_model AS model, i.camera_serial AS serial
         FROM detections d
         JOIN images i ON i.id = (SELECT MIN(j.id) FROM images j WHERE j.hash = d.hash)
        WHERE d.detector = ? AND d.source != 'human' AND d.status = 'pending' AND d.confidence >= ?`,
    )
    .all(detector, minConfidence) as ({
    id: number;
    hash: string;
    x: number;
    y: number;
    w: number;
    h: number;
  } & CameraColumns)[];
  return rows.map((r) => ({
    id: r.id,
    hash: r.hash,
    cameraKey: cameraKey(r.rootId, r.relPath, r.make, r.model, r.serial),
    box: [r.x, r.y, r.w, r.h],
  }));
}
