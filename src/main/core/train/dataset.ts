import path from 'node:path';
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { SplitGrouping } from '../../../shared/types';
import { metadataValues } from '../library/image-metadata';
import { cameraKey } from '../library/sequences';

export interface LabelledImage {
  id: number;
  hash: string;
  label: number;
  group: string;
}

export interface TrainingSet {
  classes: { id: number; name: string }[];
  images: LabelledImage[];
  excludedUnlabelled: number;
  excludedUnreadable: number;
}

/**
 * The images a run learns from: readable, present, with one human label. Classes with
 * fewer than two such images are left out; fewer than two classes is refused.
 */
export function collectTrainingSet(db: Database.Database, groupBy: SplitGrouping): TrainingSet {
  const rows = db
    .prepare(
      `SELECT i.id, i.hash, i.root_id, i.rel_path, i.frames, i.sequence_id, i.camera_make,
              i.camera_model, i.camera_serial, l.class_id,
              (SELECT COUNT(*) FROM labels k WHERE k.image_id = i.id AND k.source = 'human') AS n
         FROM images i JOIN labels l ON l.image_id = i.id AND l.source = 'human'
        WHERE i.status = 'ok' AND i.missing = 0 AND i.hash IS NOT NULL`,
    )
    .all() as {
    id: number;
    hash: string;
    root_id: number;
    rel_path: string;
    frames: number | null;
    sequence_id: number | null;
    camera_make: string | null;
    camera_model: string | null;
    camera_serial: string | null;
    class_id: number;
    n: number;
  }[];
  const single = rows.filter((r) => r.n === 1);
  const classRows = db.prepare('SELECT id, name FROM classes ORDER BY sort_order, id').all() as {
    id: number;
    name: string;
  }[];
  const classes = trainableClasses(
    classRows,
    single.map((r) => r.class_id),
    'Training',
    'labelled images',
  );
  const index = new Map(classes.map((c, i) => [c.id, i]));
  // Images without a value for the key stay alone (their own group).
  const meta = groupBy.startsWith('meta:') ? metadataValues(db, groupBy.slice(5)) : null;
  const images: LabelledImage[] = [];
  for (const r of single) {
    const label = index.get(r.class_id);
    if (label === undefined) continue;
    const value = meta?.get(r.id);
    const group = meta ? (value === undefined ? alone(r) : `meta:${value}`) : groupKey(groupBy, r);
    images.push({ id: r.id, hash: r.hash, label, group });
  }
  const counts = db
    .prepare(
      `SELECT SUM(status = 'ok' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = images.id AND l.source = 'human')) AS unlabelled,
              SUM(status != 'ok') AS unreadable
         FROM images WHERE missing = 0`,
    )
    .get() as { unlabelled: number | null; unreadable: number | null };
  return {
    classes,
    images,
    excludedUnlabelled: counts.unlabelled ?? 0,
    excludedUnreadable: counts.unreadable ?? 0,
  };
}

/**
 * The group of an image that has none by the chosen key: itself, or its file for a frame of a
 * multi-frame file, so that frames of one file (near-copies) never straddle the split.
 */
function alone(r: {
  id: number;
  root_id: number;
  rel_path: string;
  frames: number | null;
}): string {
  return r.frames ? `file:${r.root_id}/${r.rel_path}` : `image:${r.id}`;
}

function groupKey(
  groupBy: SplitGrouping,
  r: {
    id: number;
    root_id: number;
    rel_path: string;
    frames: number | null;
    sequence_id: number | null;
    camera_make: string | null;
    camera_model: string | null;
    camera_serial: string | null;
  },
): string {
  switch (groupBy) {
    case 'sequence':
      return r.sequence_id === null || r.frames ? alone(r) : `sequence:${r.sequence_id}`;
    case 'folder':
      return `folder:${r.root_id}/${path.posix.dirname(r.rel_path)}`;
    case 'camera':
      return cameraKey(r.root_id, r.rel_path, r.camera_make, r.camera_model, r.camera_serial);
    default:
      return alone(r);
  }
}

/**
 * The split group of each readable image (by id) under a grouping, as collectTrainingSet
 * assigns it: box items take their image's group, so an image's boxes (and its burst, folder
 * or camera) stay on one side of the split.
 */
export function imageGroups(
  db: Database.Database,
  groupBy: SplitGrouping,
  imageIds: readonly number[],
): Map<number, string> {
  const stmt = db.prepare(
    `SELECT id, root_id, rel_path, sequence_id, camera_make, camera_model, camera_serial
       FROM images WHERE id = ?`,
  );
  const meta = groupBy.startsWith('meta:') ? metadataValues(db, groupBy.slice(5)) : null;
  const out = new Map<number, string>();
  for (const id of new Set(imageIds)) {
    const r = stmt.get(id) as Parameters<typeof groupKey>[1] | undefined;
    if (!r) continue;
    const value = meta?.get(id);
    out.set(
      id,
      meta ? (value === undefined ? `image:${id}` : `meta:${value}`) : groupKey(groupBy, r),
    );
  }
  return out;
}

/**
 * The classes a run learns: those with at least 2 labelled items (`classIds`, one per item),
 * in `classRows`' order; INVALID_ARGUMENT with every class's count unless 2 or more qualify.
 */
export function trainableClasses(
  classRows: { id: number; name: string }[],
  classIds: readonly number[],
  what: string,
  items: string,
): { id: number; name: string }[] {
  const perClass = new Map<number, number>();
  for (const id of classIds) perClass.set(id, (perClass.get(id) ?? 0) + 1);
  const classes = classRows.filter((c) => (perClass.get(c.id) ?? 0) >= 2);
  if (classes.length < 2) {
    const have =
      classRows.map((c) => `${c.name} ${perClass.get(c.id) ?? 0}`).join(', ') || 'no classes';
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${what} needs at least 2 classes with at least 2 ${items} each (now: ${have})`,
    );
  }
  return classes;
}
