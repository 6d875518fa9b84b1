import type Database from 'better-sqlite3';
import type { RunLabelState } from '../../../shared/types';
import { readRunDataset, type RunLabels } from './run-store';

/** An image of a run as it is now. */
export interface CurrentImage {
  id: number;
  hash: string | null;
  relPath: string;
  /** Readable and present. */
  usable: boolean;
  thumbVersion: string | null;
  /** Its human class ids (one in a single-label project). */
  classIds: number[];
}

/** The current state and human labels of some images (those that still exist). */
export function currentImages(
  db: Database.Database,
  imageIds: readonly number[],
): Map<number, CurrentImage> {
  const rows = db
    .prepare(
      `SELECT i.id, i.hash, i.rel_path, i.status, i.missing, i.derived,
              (SELECT group_concat(l.class_id) FROM labels l
                WHERE l.image_id = i.id AND l.source = 'human') AS classes
         FROM images i WHERE i.id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(imageIds)) as {
    id: number;
    hash: string | null;
    rel_path: string;
    status: string;
    missing: number;
    derived: number;
    classes: string | null;
  }[];
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        hash: r.hash,
        relPath: r.rel_path,
        usable: r.status === 'ok' && r.missing === 0 && r.hash !== null,
        thumbVersion: r.derived === 1 && r.hash ? r.hash.slice(0, 12) : null,
        classIds: r.classes ? r.classes.split(',').map(Number) : [],
      },
    ]),
  );
}

/**
 * The class index an image has now in a run's class list: its one human label mapped by
 * class id (or, for runs without recorded labels, by class name); null when it has none,
 * several, or a class the run does not know.
 */
export function currentClassIndex(
  image: CurrentImage | undefined,
  runLabels: RunLabels | null,
  classNameOf: (classId: number) => string | undefined,
  runClasses: readonly string[],
): number | null {
  if (!image || !image.usable || image.classIds.length !== 1) return null;
  const id = image.classIds[0] ?? -1;
  const index = runLabels
    ? runLabels.classIds.indexOf(id)
    : runClasses.indexOf(classNameOf(id) ?? '\u0000');
  return index >= 0 ? index : null;
}

/** Class names by id, as they are now. */
export function classNames(db: Database.Database): Map<number, string> {
  const rows = db.prepare('SELECT id, name FROM classes').all() as { id: number; name: string }[];
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Whether a run's recorded labels still hold: a label changed, removed or its image gone makes it stale. */
export function runLabelState(
  db: Database.Database,
  runId: number,
  runClasses: readonly string[],
): RunLabelState {
  const { split, labels } = readRunDataset(db, runId);
  if (!labels) return { known: false, changed: 0, changedValidation: 0, stale: false };
  const images = currentImages(
    db,
    labels.labels.map(([id]) => id),
  );
  const names = classNames(db);
  const validation = new Set(split?.validation ?? []);
  let changed = 0;
  let changedValidation = 0;
  for (const [id, index] of labels.labels) {
    const now = currentClassIndex(images.get(id), labels, (c) => names.get(c), runClasses);
    if (now !== index) {
      changed++;
      if (validation.has(id)) changedValidation++;
    }
  }
  return { known: true, changed, changedValidation, stale: changed > 0 };
}
