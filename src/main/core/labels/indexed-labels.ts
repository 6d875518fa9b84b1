import type Database from 'better-sqlite3';
import { ensureClass } from './classes';

/**
 * The label writes that come with indexing an image: the labels kept by content when its
 * folder was removed come back, and a folder name becomes a human label. They are part of
 * reading the image rather than a user's action, so they make no undo batch; the folder
 * label still gets its history row.
 */
export class IndexedLabels {
  private readonly hasAny: Database.Statement;
  private readonly restoreOrphans: Database.Statement;
  private readonly dropOrphans: Database.Statement;
  private readonly addLabel: Database.Statement;
  private readonly addHistory: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.hasAny = db.prepare('SELECT 1 FROM labels WHERE image_id = ? LIMIT 1');
    this.restoreOrphans = db.prepare(
      `INSERT OR IGNORE INTO labels (image_id, class_id, source, run_id, confidence, created_at)
       SELECT ?, class_id, source, run_id, confidence, created_at FROM orphan_labels WHERE hash = ?`,
    );
    this.dropOrphans = db.prepare('DELETE FROM orphan_labels WHERE hash = ?');
    this.addLabel = db.prepare(
      `INSERT OR IGNORE INTO labels (image_id, class_id, source, created_at) VALUES (?, ?, 'human', ?)`,
    );
    this.addHistory = db.prepare(
      `INSERT INTO label_history (image_id, class_id, action, source, at) VALUES (?, ?, 'add', 'human', ?)`,
    );
  }

  /** Whether the image has any label. */
  has(imageId: number): boolean {
    return this.hasAny.get(imageId) !== undefined;
  }

  /** Gives the image the labels kept for its content when its folder was removed. */
  restoreByHash(imageId: number, hash: string): void {
    this.restoreOrphans.run(imageId, hash);
    this.dropOrphans.run(hash);
  }

  /** Labels the image with the class named after its folder (created if needed), as a human. */
  addFromFolder(imageId: number, className: string, at: string): void {
    const classId = ensureClass(this.db, className);
    if (this.addLabel.run(imageId, classId, at).changes > 0)
      this.addHistory.run(imageId, classId, at);
  }
}
