import type Database from 'better-sqlite3';
import { readMeta, writeMeta } from '../store/meta';

export type Source = 'human' | 'model';

export interface LabelRow {
  image_id: number;
  class_id: number;
  source: Source;
  run_id: number | null;
  confidence: number | null;
  created_at: string;
}

export interface HistoryRow {
  id: number;
  image_id: number;
  class_id: number;
  action: 'add' | 'remove';
  source: Source;
  run_id: number | null;
  confidence: number | null;
  at: string;
}

export type BatchState = 'done' | 'undone' | 'discarded';

/** The meta key of the last batch undo may not cross. */
const UNDO_FLOOR_KEY = 'undo_floor_batch';

/**
 * The SQL of the `labels`, `label_history` and `label_batches` tables: the one module that
 * writes them. The rules (undo, human over model) live in `label-store.ts`.
 */
export class LabelTable {
  // Statements are prepared once per connection: indexing calls some of these per image.
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** The labels of one image. */
  ofImage(imageId: number): LabelRow[] {
    return this.sql('SELECT * FROM labels WHERE image_id = ?').all(imageId) as LabelRow[];
  }

  /** One label, if the image has that class. */
  find(imageId: number, classId: number): LabelRow | undefined {
    return this.sql('SELECT * FROM labels WHERE image_id = ? AND class_id = ?').get(
      imageId,
      classId,
    ) as LabelRow | undefined;
  }

  /** The classes of an image's human labels. */
  humanClassesOf(imageId: number): number[] {
    return (
      this.sql("SELECT class_id FROM labels WHERE image_id = ? AND source = 'human'").all(
        imageId,
      ) as { class_id: number }[]
    ).map((r) => r.class_id);
  }

  /** Whether the image has any label. */
  has(imageId: number): boolean {
    return this.sql('SELECT 1 FROM labels WHERE image_id = ? LIMIT 1').get(imageId) !== undefined;
  }

  /** Whether an image with this id exists (labels are written only for those). */
  imageExists(imageId: number): boolean {
    return this.sql('SELECT 1 FROM images WHERE id = ?').get(imageId) !== undefined;
  }

  /** Writes a label; false when its image or class is gone (then nothing is written). */
  insert(
    r: Pick<HistoryRow, 'image_id' | 'class_id' | 'source' | 'run_id' | 'confidence' | 'at'>,
  ): boolean {
    // The image or class may be gone since (deleted root, deleted class): skip those.
    const info = this.sql(
      `INSERT OR REPLACE INTO labels (image_id, class_id, source, run_id, confidence, created_at)
         SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM images WHERE id = ?)
                                  AND EXISTS (SELECT 1 FROM classes WHERE id = ?)`,
    ).run(r.image_id, r.class_id, r.source, r.run_id, r.confidence, r.at, r.image_id, r.class_id);
    return info.changes > 0;
  }

  /** Takes a label off; false when it was not there. */
  delete(imageId: number, classId: number): boolean {
    return (
      this.sql('DELETE FROM labels WHERE image_id = ? AND class_id = ?').run(imageId, classId)
        .changes > 0
    );
  }

  /** A human label with its history row and no batch (labels that come with indexing). */
  addHumanUnbatched(imageId: number, classId: number, at: string): void {
    const added = this.sql(
      `INSERT OR IGNORE INTO labels (image_id, class_id, source, created_at) VALUES (?, ?, 'human', ?)`,
    ).run(imageId, classId, at).changes;
    if (added > 0)
      this.sql(
        `INSERT INTO label_history (image_id, class_id, action, source, at) VALUES (?, ?, 'add', 'human', ?)`,
      ).run(imageId, classId, at);
  }

  /** Gives an image the labels kept in `orphan_labels` for its content hash. */
  restoreOrphans(imageId: number, hash: string): void {
    this.sql(
      `INSERT OR IGNORE INTO labels (image_id, class_id, source, run_id, confidence, created_at)
         SELECT ?, class_id, source, run_id, confidence, created_at FROM orphan_labels WHERE hash = ?`,
    ).run(imageId, hash);
  }

  /** Takes every label off an image, outside the undo history (its content left; see IndexedLabels). */
  dropAllOf(imageId: number): number {
    return this.sql('DELETE FROM labels WHERE image_id = ?').run(imageId).changes;
  }

  /** Moves every label of one class to another (images that had both keep one) and drops the rest. */
  moveClass(sourceId: number, targetId: number): number {
    const moved = this.sql('UPDATE OR IGNORE labels SET class_id = ? WHERE class_id = ?').run(
      targetId,
      sourceId,
    ).changes;
    this.sql('DELETE FROM labels WHERE class_id = ?').run(sourceId);
    return moved;
  }

  /** How many images have more than one label. */
  multiLabelledCount(): number {
    return (
      this.sql(
        'SELECT COUNT(*) AS n FROM (SELECT image_id FROM labels GROUP BY image_id HAVING COUNT(*) > 1)',
      ).get() as { n: number }
    ).n;
  }

  /** The labels of images that have more than one. */
  multiLabelled(): Omit<LabelRow, 'run_id'>[] {
    return this.sql(
      `SELECT image_id, class_id, source, confidence, created_at FROM labels
          WHERE image_id IN (SELECT image_id FROM labels GROUP BY image_id HAVING COUNT(*) > 1)`,
    ).all() as Omit<LabelRow, 'run_id'>[];
  }

  /** Opens a batch (one user action) and returns its id. */
  openBatch(description: string, at: string): number {
    return Number(
      this.sql('INSERT INTO label_batches (description, created_at) VALUES (?, ?)').run(
        description,
        at,
      ).lastInsertRowid,
    );
  }

  /** A statement that records one history row of a batch and returns its id. */
  historyRecorder(batchId: number, at: string): (action: 'add' | 'remove', l: LabelRow) => number {
    const history = this.sql(
      `INSERT INTO label_history (image_id, class_id, action, source, run_id, confidence, batch_id, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return (action, l) =>
      Number(
        history.run(l.image_id, l.class_id, action, l.source, l.run_id, l.confidence, batchId, at)
          .lastInsertRowid,
      );
  }

  /** Drops a batch that changed nothing. */
  dropBatch(batchId: number): void {
    this.sql('DELETE FROM label_batches WHERE id = ?').run(batchId);
  }

  /** Renames a batch. */
  describeBatch(batchId: number, description: string): void {
    this.sql('UPDATE label_batches SET description = ? WHERE id = ?').run(description, batchId);
  }

  /**
   * Batches up to this id happened before an action undo cannot cross (a class deleted or
   * merged, the label mode changed): they stay in the history but are no longer undone.
   */
  private undoFloor(): number {
    return Number(readMeta(this.db, UNDO_FLOOR_KEY) ?? 0) || 0;
  }

  /** Undo stops here: nothing done so far can be undone (what it referred to is gone). */
  sealHistory(): void {
    const last = this.sql('SELECT COALESCE(MAX(id), 0) FROM label_batches').pluck().get() as number;
    writeMeta(this.db, UNDO_FLOOR_KEY, String(last));
  }

  /** The newest `done` batch (to undo) or oldest `undone` one (to redo). */
  nextBatch(state: 'done' | 'undone'): { id: number; description: string } | undefined {
    const order = state === 'done' ? 'DESC' : 'ASC';
    return this.sql(
      `SELECT id, description FROM label_batches WHERE state = ? AND id > ? ORDER BY id ${order} LIMIT 1`,
    ).get(state, this.undoFloor()) as { id: number; description: string } | undefined;
  }

  /** Whether any batch past the undo floor is in this state. */
  hasBatch(state: BatchState): boolean {
    return !!this.sql('SELECT 1 FROM label_batches WHERE state = ? AND id > ? LIMIT 1').get(
      state,
      this.undoFloor(),
    );
  }

  /** Sets one batch's state. */
  setBatchState(batchId: number, state: BatchState): void {
    this.sql('UPDATE label_batches SET state = ? WHERE id = ?').run(state, batchId);
  }

  /** Every undone batch becomes discarded (redo is forgotten). */
  discardUndone(): void {
    this.sql("UPDATE label_batches SET state = 'discarded' WHERE state = 'undone'").run();
  }

  /** The history rows of one batch, in order. */
  historyOf(batchId: number): HistoryRow[] {
    return this.sql('SELECT * FROM label_history WHERE batch_id = ? ORDER BY id').all(
      batchId,
    ) as HistoryRow[];
  }

  /** Everything that happened to one image's labels, oldest first, with class names and batch states. */
  historyOfImage(
    imageId: number,
  ): (HistoryRow & { class_name: string | null; batch_state: string | null })[] {
    return this.sql(
      `SELECT h.*, c.name AS class_name, b.state AS batch_state
           FROM label_history h
           LEFT JOIN classes c ON c.id = h.class_id
           LEFT JOIN label_batches b ON b.id = h.batch_id
          WHERE h.image_id = ? ORDER BY h.id`,
    ).all(imageId) as (HistoryRow & { class_name: string | null; batch_state: string | null })[];
  }
}
