import type Database from 'better-sqlite3';
import { ensureClass } from './class-store';
import { LabelTable } from './label-table';

/**
 * The label writes that come with indexing an image: the labels kept by content when its
 * folder was removed come back, and a folder name becomes a human label. They are part of
 * reading the image rather than a user's action, so they make no undo batch; the folder
 * label still gets its history row. Owns the `orphan_labels` table.
 */
export class IndexedLabels {
  private readonly table: LabelTable;
  private readonly dropOrphans: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.table = new LabelTable(db);
    this.dropOrphans = db.prepare('DELETE FROM orphan_labels WHERE hash = ?');
  }

  /** Whether the image has any label. */
  has(imageId: number): boolean {
    return this.table.has(imageId);
  }

  /** Gives the image the labels kept for its content when its folder was removed. */
  restoreByHash(imageId: number, hash: string): void {
    this.table.restoreOrphans(imageId, hash);
    this.dropOrphans.run(hash);
  }

  /**
   * Sets the image's labels aside for the content it had (`orphan_labels`, by hash): its file
   * now holds other pixels, and the labels come back if that content is read again.
   */
  setAsideFor(imageId: number, formerHash: string): number {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO orphan_labels (hash, class_id, source, run_id, confidence, created_at)
           SELECT ?, class_id, source, run_id, confidence, created_at FROM labels WHERE image_id = ?`,
      )
      .run(formerHash, imageId);
    return this.table.dropAllOf(imageId);
  }

  /** Labels the image with the class named after its folder (created if needed), as a human. */
  addFromFolder(imageId: number, className: string, at: string): void {
    this.table.addHumanUnbatched(imageId, ensureClass(this.db, className), at);
  }
}

/** Keeps the labels of a root's images by content hash, for when the same files come back. */
export function keepLabelsOfRoot(db: Database.Database, rootId: number): void {
  db.prepare(
    `INSERT OR IGNORE INTO orphan_labels (hash, class_id, source, run_id, confidence, created_at)
     SELECT i.hash, l.class_id, l.source, l.run_id, l.confidence, l.created_at
       FROM labels l JOIN images i ON i.id = l.image_id
      WHERE i.root_id = ? AND i.hash IS NOT NULL`,
  ).run(rootId);
}
