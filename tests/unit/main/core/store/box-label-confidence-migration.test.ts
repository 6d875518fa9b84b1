import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boxLabelParticipant } from '../../../../../src/main/core/detect/box-labels';
import { detectionById } from '../../../../../src/main/core/detect/detection-store';
import { LabelStore } from '../../../../../src/main/core/labels/label-store';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../../../src/main/core/store/migrations';
import { OCELLUS_APPLICATION_ID } from '../../../../../src/main/core/store/project-file';
import { ProjectStore } from '../../../../../src/main/core/store/project-store';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const appVersion = '9.9.9-test';
const at = '2026-01-01T00:00:00.000Z';

/** A project file as the app wrote it at schema 21: a box a person labelled fox (was deer). */
function projectAtVersion21(file: string): void {
  const db = new Database(file);
  db.pragma(`application_id = ${OCELLUS_APPLICATION_ID}`);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  for (const step of MIGRATIONS.filter((m) => m.version <= 21)) {
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    })();
  }
  db.exec(`
    INSERT INTO roots (id, path, added_at) VALUES (1, '/traps', '${at}');
    INSERT INTO images (id, root_id, rel_path, status, hash, width, height, imported_at)
      VALUES (1, 1, 'a.jpg', 'ok', 'hhhh', 40, 30, '${at}');
    INSERT INTO classes (id, name, color, sort_order, created_at)
      VALUES (1, 'deer', '#0a0', 0, '${at}'), (2, 'fox', '#f60', 1, '${at}');
    INSERT INTO detections (id, hash, detector, category, confidence, x, y, w, h, source, status, class_id, class_conf, created_at)
      VALUES (1, 'hhhh', 'md', 'animal', 0.9, 0.1, 0.1, 0.2, 0.2, 'model', 'confirmed', 2, NULL, '${at}');
    INSERT INTO label_batches (id, description, state, created_at) VALUES (1, 'Label 1 box fox', 'done', '${at}');
    INSERT INTO box_label_history (batch_id, detection_id, old_class_id, new_class_id, old_status, new_status, at)
      VALUES (1, 1, 1, 2, 'pending', 'confirmed', '${at}');
  `);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

describe("schema step 22: box label history keeps a classifier's confidence", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('keeps every box and history row of a schema-21 project, whose undo works as before', () => {
    const file = path.join(tmp.dir, 'old.ocellus');
    projectAtVersion21(file);
    const store = ProjectStore.open(file, { appVersion });
    try {
      const db = store.db;
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(
        db
          .prepare(
            `SELECT batch_id, detection_id, old_class_id, old_class_conf, new_class_id, old_status, new_status, at
               FROM box_label_history`,
          )
          .all(),
      ).toEqual([
        {
          batch_id: 1,
          detection_id: 1,
          old_class_id: 1,
          old_class_conf: null,
          new_class_id: 2,
          old_status: 'pending',
          new_status: 'confirmed',
          at,
        },
      ]);
      expect(detectionById(db, 1)).toMatchObject({ classId: 2, classConf: null });
      // Step 23 ends undo at the last batch an earlier version wrote (a class it deleted may
      // have handed its id on): kept in the history, no longer undone.
      const labels = new LabelStore(db, () => 'single', [boxLabelParticipant(db)]);
      expect(labels.canUndo()).toBe(false);
      expect(labels.undo()).toBeNull();
      // Without that floor, the batch written before step 22 undoes and redoes as it did then.
      db.prepare("DELETE FROM meta WHERE key = 'undo_floor_batch'").run();
      expect(labels.undo()?.imageIds).toEqual([1]);
      expect(detectionById(db, 1)).toMatchObject({
        classId: 1,
        classConf: null,
        status: 'pending',
      });
      labels.redo();
      expect(detectionById(db, 1)).toMatchObject({
        classId: 2,
        classConf: null,
        status: 'confirmed',
      });
    } finally {
      store.close();
    }
  });
});
