/** The owner of the `detections` and `detection_images` tables: only this module holds their SQL. */
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type {
  Detection,
  DetectionCategory,
  DetectionSource,
  ImageFilter,
  NormalisedBox,
} from '../../../shared/types';
import { cameraKey } from '../library/sequences';
import type { CategoryBox } from './box-math';
import type { DetectOutcome } from './detect-protocol';

/** Boxes people draw belong to no detector: they show whichever detector is chosen. */
export const HUMAN_DETECTOR = 'human';

interface DetectionRow {
  id: number;
  image_id: number;
  detector: string;
  category: DetectionCategory;
  confidence: number;
  x: number;
  y: number;
  w: number;
  h: number;
  source: DetectionSource;
  status: Detection['status'];
  static: number;
  class_id: number | null;
  class_conf: number | null;
}

const toDetection = (r: DetectionRow): Detection => ({
  id: r.id,
  imageId: r.image_id,
  detector: r.detector,
  category: r.category,
  confidence: r.confidence,
  box: [r.x, r.y, r.w, r.h],
  source: r.source,
  status: r.status,
  static: r.static === 1,
  classId: r.class_id,
  classConf: r.class_conf,
});

/** An image the detector has not processed yet: one per distinct content. */
export interface DetectTodo {
  hash: string;
  rootId: number;
  relPath: string;
}

/** Readable images (one per content hash) without a result for this detector yet. */
export function detectionTodo(db: Database.Database, detector: string): DetectTodo[] {
  return db
    .prepare(
      `SELECT i.hash AS hash, MIN(i.root_id) AS rootId, MIN(i.rel_path) AS relPath
         FROM images i
        WHERE i.status = 'ok' AND i.missing = 0 AND i.hash IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM detection_images d WHERE d.detector = ? AND d.hash = i.hash)
        GROUP BY i.hash ORDER BY MIN(i.id)`,
    )
    .all(detector) as DetectTodo[];
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

interface CameraColumns {
  rootId: number;
  relPath: string;
  make: string | null;
  model: string | null;
  serial: string | null;
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
              i.id AS imageId, i.root_id AS rootId, i.rel_path AS relPath
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

/** A box of one category at or above the threshold on image `img` (human boxes count). */
const hit = (img: string, category: string) =>
  `EXISTS (SELECT 1 FROM detections d WHERE d.hash = ${img}.hash AND d.status != 'deleted'
     AND (d.detector = @detDetector OR d.source = 'human') AND d.category = '${category}'
     AND d.confidence >= @detThreshold)`;
const PROCESSED = `EXISTS (SELECT 1 FROM detection_images di WHERE di.hash = i.hash AND di.detector = @detDetector)`;
const READ_OK = `EXISTS (SELECT 1 FROM detection_images di WHERE di.hash = i.hash AND di.detector = @detDetector AND di.error IS NULL)`;
/** Another (or this) processed frame of the image's burst has an animal. */
const ANIMAL_BURST = `(@detBurst = 1 AND i.sequence_id IS NOT NULL AND EXISTS (SELECT 1 FROM images j
     JOIN detection_images dj ON dj.hash = j.hash AND dj.detector = @detDetector
     WHERE j.sequence_id = i.sequence_id AND j.status = 'ok' AND j.missing = 0 AND ${hit('j', 'animal')}))`;

/**
 * The grid's detection filter as conditions of the image query (images `i`), sorting images
 * exactly as detect/filtering.ts's verdicts do (burst-aware: a frame with no box of its own is
 * an animal when its burst has one), so a filter over 10⁶ images ships no id list.
 */
export function detectionFilterClauses(
  db: Database.Database,
  f: ImageFilter,
): { clauses: string[]; params: Record<string, unknown> } {
  const q = f.detection;
  if (!q) return { clauses: [], params: {} };
  // The category names a fixed SQL fragment: only the four known values get through.
  if (!['empty', 'animal', 'person', 'vehicle'].includes(q.category))
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'detection.category is empty, animal, person or vehicle',
    );
  if (typeof q.threshold !== 'number' || !(q.threshold >= 0 && q.threshold <= 1))
    throw new OcellusError('INVALID_ARGUMENT', 'detection.threshold is a number from 0 to 1');
  const detector = q.detector ?? detectorsUsed(db)[0] ?? '';
  const none = ['animal', 'person', 'vehicle'].map((c) => `NOT ${hit('i', c)}`).join(' AND ');
  const clause =
    q.category === 'empty'
      ? `${READ_OK} AND ${none} AND NOT ${ANIMAL_BURST}`
      : q.category === 'animal'
        ? `${PROCESSED} AND (${hit('i', 'animal')} OR (${READ_OK} AND NOT ${hit('i', 'person')} AND NOT ${hit('i', 'vehicle')} AND ${ANIMAL_BURST}))`
        : `${PROCESSED} AND ${hit('i', q.category)}`;
  return {
    clauses: [`i.status = 'ok' AND ${clause}`],
    params: {
      detDetector: detector,
      detThreshold: q.threshold,
      detBurst: q.burstAware === false ? 0 : 1,
    },
  };
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
