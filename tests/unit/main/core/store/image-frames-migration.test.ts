import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../../../src/main/core/store/migrations';
import { OCELLUS_APPLICATION_ID } from '../../../../../src/main/core/store/project-file';
import { ProjectStore } from '../../../../../src/main/core/store/project-store';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

const appVersion = '9.9.9-test';

/** A project file exactly as the app wrote it before step 21, with foreign keys on. */
function projectAtVersion19(file: string): void {
  const db = new Database(file);
  db.pragma(`application_id = ${OCELLUS_APPLICATION_ID}`);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  for (const step of MIGRATIONS.filter((m) => m.version <= 19)) {
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    })();
  }
  const at = '2026-01-01T00:00:00.000Z';
  db.exec(`
    INSERT INTO roots (id, path, added_at) VALUES (1, '/photos', '${at}');
    INSERT INTO images (id, root_id, rel_path, status, hash, width, height, imported_at, taken_at, derived)
      VALUES (1, 1, 'a.dcm', 'ok', 'aaaa', 24, 16, '${at}', '2025:01:02 10:00:00', 1),
             (2, 1, 'b.jpg', 'ok', 'bbbb', 40, 30, '${at}', NULL, 1);
    INSERT INTO classes (id, name, color, sort_order, created_at) VALUES (1, 'sick', '#f00', 0, '${at}');
    INSERT INTO labels (image_id, class_id, source, created_at) VALUES (1, 1, 'human', '${at}');
    INSERT INTO image_meta (image_id, key, value) VALUES (1, 'PatientID', 'PAT-1');
    INSERT INTO predictions (run_id, image_id, class_id, confidence, margin, entropy, probs, created_at)
      VALUES (1, 2, 1, 0.9, 0.8, 0.1, x'00', '${at}');
  `);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

describe('schema step 21: one image row per frame', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir()));
  afterEach(() => tmp.cleanup());

  it('keeps every image, label, metadata row and prediction of a project made by the previous schema', () => {
    const file = path.join(tmp.dir, 'old.ocellus');
    projectAtVersion19(file);
    const store = ProjectStore.open(file, { appVersion });
    try {
      const db = store.db;
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(
        db
          .prepare('SELECT id, rel_path, frame, frames, hash, time_key FROM images ORDER BY id')
          .all(),
      ).toEqual([
        {
          id: 1,
          rel_path: 'a.dcm',
          frame: 0,
          frames: null,
          hash: 'aaaa',
          time_key: '2025:01:02 10:00:00',
        },
        { id: 2, rel_path: 'b.jpg', frame: 0, frames: null, hash: 'bbbb', time_key: '~' },
      ]);
      expect(db.prepare('SELECT image_id, class_id FROM labels').all()).toEqual([
        { image_id: 1, class_id: 1 },
      ]);
      expect(db.prepare('SELECT image_id, value FROM image_meta').all()).toEqual([
        { image_id: 1, value: 'PAT-1' },
      ]);
      expect(db.prepare('SELECT image_id FROM predictions').pluck().all()).toEqual([2]);
      const indexes = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'images'")
        .pluck()
        .all();
      expect(indexes).toEqual(
        expect.arrayContaining(['images_hash', 'images_live_path', 'images_live_time']),
      );

      // A second frame of the same file now has its own row; the same frame twice does not.
      const insert = db.prepare(
        "INSERT INTO images (root_id, rel_path, frame, imported_at) VALUES (1, 'a.dcm', ?, 'now')",
      );
      expect(() => insert.run(1)).not.toThrow();
      expect(() => insert.run(1)).toThrow(/UNIQUE/);
      // References still cascade: deleting the image takes its label and metadata with it.
      db.prepare('DELETE FROM images WHERE id = 1').run();
      expect(db.prepare('SELECT COUNT(*) FROM labels').pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM image_meta').pluck().get()).toBe(0);
    } finally {
      store.close();
    }
  });
});
