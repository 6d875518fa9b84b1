/** The owner of `box_label_history`: labelling boxes as undoable label batches. */
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { Detection, LabelChange } from '../../../shared/types';
import { ClassStore } from '../labels/class-store';
import { LabelStore, type BatchParticipant } from '../labels/label-store';
import type { ProjectStore } from '../store/project-store';
import {
  addHumanDetection,
  detectionById,
  importedClassedBoxes,
  labelledBoxes,
  updateDetection,
} from './detection-store';
import type { CategoryBox } from './box-math';

interface HistoryRow {
  detection_id: number;
  old_class_id: number | null;
  old_class_conf: number | null;
  new_class_id: number | null;
  old_status: Detection['status'];
  new_status: Detection['status'];
}

/**
 * Gives boxes a class (or none, with null) as one undoable action of the label history, the
 * way a class key labels an image: each box is confirmed too. Deleted or unknown boxes, and
 * boxes that already have that class from a person, are left as they are.
 */
export function labelBoxes(
  db: Database.Database,
  labels: LabelStore,
  boxIds: readonly number[],
  classId: number | null,
): LabelChange {
  const name = classId === null ? null : new ClassStore(db).get(classId).name;
  const ids = [...new Set(boxIds)];
  const description =
    name === null
      ? `Clear the label of ${ids.length} box${ids.length === 1 ? '' : 'es'}`
      : `Label ${ids.length} box${ids.length === 1 ? '' : 'es'} ${name}`;
  return labelEach(
    db,
    labels,
    description,
    ids.map((boxId) => ({ boxId, classId })),
  );
}

/**
 * Makes the classes that imported boxes carry (those with an id above `afterId`, from a
 * verified results file) people's labels, as one undoable action; returns it and how many.
 */
export function adoptImportedClasses(
  db: Database.Database,
  labels: LabelStore,
  detector: string,
  afterId: number,
): { change: LabelChange; boxes: number } {
  const rows = importedClassedBoxes(db, detector, afterId);
  const description = `Take the classes of ${rows.length} imported box${rows.length === 1 ? '' : 'es'} as labels`;
  const change = labelEach(
    db,
    labels,
    description,
    rows.map((r) => ({ boxId: r.id, classId: r.class_id })),
  );
  return { change, boxes: rows.length };
}

/** The project's label history with boxes taking part: undo and redo put boxes back too. */
export function labelHistory(store: ProjectStore): LabelStore {
  return new LabelStore(store.db, () => store.summary().labelMode, [boxLabelParticipant(store.db)]);
}

/** A box_label_history row, as every change of a box's class or status is recorded. */
function recorder(db: Database.Database) {
  return db.prepare(
    `INSERT INTO box_label_history
       (batch_id, detection_id, old_class_id, old_class_conf, new_class_id, old_status,
        new_status, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
}

/**
 * Adds a box a person drew, as one undoable action of the label history: recorded as going
 * from deleted to confirmed, so undo takes it away and redo puts it back (it was outside the
 * history, and Ctrl+Z undid an older label instead). Returns the box's id and the change.
 */
export function addDrawnBox(
  db: Database.Database,
  labels: LabelStore,
  image: { id: number; hash: string },
  box: CategoryBox,
  classId: number | null,
): { id: number; change: LabelChange } {
  let id = 0;
  const change = labels.batchWith(`Draw a box (${box.category})`, (batchId) => {
    id = addHumanDetection(db, image.hash, box, classId);
    const at = new Date().toISOString();
    recorder(db).run(batchId, id, null, null, classId, 'deleted', 'confirmed', at);
    return [image.id];
  });
  return { id, change };
}

/**
 * A person's change of a box's status (deleting, confirming) or class, as one undoable step:
 * a drawn box is in the history, so deleting it must be too (Ctrl+Z after a delete undid the
 * draw, and Ctrl+Y then brought the deleted box back). Null when nothing changes.
 */
export function changeBox(
  db: Database.Database,
  labels: LabelStore,
  boxId: number,
  change: { status?: Detection['status']; classId?: number | null },
): LabelChange | null {
  const cur = detectionById(db, boxId);
  if (!cur) throw new OcellusError('NOT_FOUND', `No box ${boxId}`);
  const status = change.status ?? cur.status;
  const classId = change.classId === undefined ? cur.classId : change.classId;
  if (status === cur.status && classId === cur.classId) return null;
  const what =
    status === 'deleted' ? 'Delete a box' : status !== cur.status ? 'Change a box' : 'Label a box';
  return labels.batchWith(what, (batchId) => {
    const at = new Date().toISOString();
    recorder(db).run(batchId, boxId, cur.classId, cur.classConf, classId, cur.status, status, at);
    updateDetection(db, boxId, {
      status,
      ...(change.classId === undefined ? {} : { classId }),
    });
    return [cur.imageId];
  });
}

/** One label batch giving each box its class (confirming it), recorded for undo. */
function labelEach(
  db: Database.Database,
  labels: LabelStore,
  description: string,
  pairs: readonly { boxId: number; classId: number | null }[],
): LabelChange {
  const record = recorder(db);
  return labels.batchWith(description, (batchId) => {
    const touched: number[] = [];
    const at = new Date().toISOString();
    for (const { boxId: id, classId } of pairs) {
      const cur = detectionById(db, id);
      if (!cur) throw new OcellusError('NOT_FOUND', `No box ${id}`);
      if (cur.status === 'deleted') continue;
      const same = cur.classId === classId && cur.classConf === null;
      if (same && cur.status === 'confirmed') continue;
      record.run(batchId, id, cur.classId, cur.classConf, classId, cur.status, 'confirmed', at);
      updateDetection(db, id, { classId, status: 'confirmed' });
      touched.push(cur.imageId);
    }
    return touched;
  });
}

/** Puts boxes back (undo) or forward (redo) with the label batch that changed them. */
export function boxLabelParticipant(db: Database.Database): BatchParticipant {
  return {
    replay(batchId, direction) {
      const rows = db
        .prepare(
          `SELECT detection_id, old_class_id, old_class_conf, new_class_id, old_status, new_status
             FROM box_label_history WHERE batch_id = ? ORDER BY id`,
        )
        .all(batchId) as HistoryRow[];
      if (direction === 'undo') rows.reverse();
      const touched: number[] = [];
      for (const r of rows) {
        const cur = detectionById(db, r.detection_id);
        if (!cur) continue;
        const undo = direction === 'undo';
        updateDetection(db, r.detection_id, {
          classId: undo ? r.old_class_id : r.new_class_id,
          // Undo gives a classifier's suggestion back its confidence; redo is a person's class.
          classConf: undo ? r.old_class_conf : null,
          status: undo ? r.old_status : r.new_status,
        });
        touched.push(cur.imageId);
      }
      return touched;
    },
  };
}

/**
 * The uncertainty queue of a box run: animal boxes without a person's class whose suggested
 * class has the lowest confidence first, at most `limit`.
 */
export function uncertainBoxes(db: Database.Database, limit: number): Detection[] {
  return labelledBoxes(db, 'to-suggest')
    .filter((b) => b.classConf !== null)
    .sort((a, b) => (a.classConf ?? 0) - (b.classConf ?? 0) || a.id - b.id)
    .slice(0, limit)
    .flatMap((b) => detectionById(db, b.id) ?? []);
}
