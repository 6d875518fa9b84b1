import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { LabelChange, LabelEvent, LabelMode } from '../../../shared/types';
import { labelCounter, type LabelRowChange } from './label-counts';

type Source = 'human' | 'model';

interface LabelRow {
  image_id: number;
  class_id: number;
  source: Source;
  run_id: number | null;
  confidence: number | null;
  created_at: string;
}

interface HistoryRow {
  id: number;
  image_id: number;
  class_id: number;
  action: 'add' | 'remove';
  source: Source;
  run_id: number | null;
  confidence: number | null;
  at: string;
}

export interface ModelLabel {
  runId: number;
  confidence: number;
}

/** A batch's description, or one made from how many images it changed. */
export type Description = string | ((changedImages: number) => string);

export interface AssignOptions {
  /** A model's label (never replaces a human one). */
  model?: ModelLabel;
  /** Replace human labels of other classes (the user was asked); else nothing is written. */
  replaceHuman?: boolean;
}

/**
 * Label writes with history and undo. Every user action is one batch of history rows; undo
 * replays a batch backwards, redo forwards. A human label always outranks a model's: model
 * labels never replace human ones, and a human label replaces a model suggestion.
 */
export class LabelStore {
  constructor(
    private readonly db: Database.Database,
    private readonly labelMode: () => LabelMode,
  ) {}

  /**
   * Gives `classId` to each image (replacing other labels in single-label projects). Where
   * that would replace human labels of another class, writes nothing unless `replaceHuman`.
   */
  assign(
    imageIds: readonly number[],
    classId: number,
    description: Description,
    opts: AssignOptions = {},
  ): LabelChange {
    this.requireClass(classId);
    const model = opts.model;
    const source: Source = model ? 'model' : 'human';
    const single = this.labelMode() === 'single';
    if (!model && !opts.replaceHuman) {
      const n = this.replacedHuman(imageIds.map((id) => [id, [classId]]));
      if (n > 0) return this.refused(n);
    }
    return this.batch(description, (log) => {
      const current = this.db.prepare('SELECT * FROM labels WHERE image_id = ?');
      const exists = this.db.prepare('SELECT 1 FROM images WHERE id = ?');
      for (const imageId of new Set(imageIds)) {
        if (!exists.get(imageId)) continue;
        const labels = current.all(imageId) as LabelRow[];
        if (source === 'model' && labels.some((l) => l.source === 'human')) continue;
        const same = labels.find((l) => l.class_id === classId);
        if (same && same.source === source && source === 'human') {
          if (!single || labels.length === 1) continue;
        }
        for (const l of labels) {
          if (l.class_id === classId || single) log.remove(l);
        }
        log.add({
          image_id: imageId,
          class_id: classId,
          source,
          run_id: model?.runId ?? null,
          confidence: model?.confidence ?? null,
          created_at: new Date().toISOString(),
        });
      }
    });
  }

  /**
   * Human labels for many (image, class) pairs as ONE undoable action (label imports).
   * Unknown images are skipped; in single-label projects the last pair of an image wins.
   */
  assignMany(
    pairs: readonly { imageId: number; classId: number }[],
    description: Description,
    opts: { replaceHuman?: boolean } = {},
  ): LabelChange {
    const single = this.labelMode() === 'single';
    const wanted = new Map<number, Set<number>>();
    for (const { imageId, classId } of pairs) {
      this.requireClass(classId);
      const set = single ? new Set<number>() : (wanted.get(imageId) ?? new Set<number>());
      set.add(classId);
      wanted.set(imageId, set);
    }
    if (!opts.replaceHuman) {
      const n = this.replacedHuman([...wanted].map(([id, set]) => [id, [...set]]));
      if (n > 0) return this.refused(n);
    }
    return this.batch(description, (log) => {
      const current = this.db.prepare('SELECT * FROM labels WHERE image_id = ?');
      const exists = this.db.prepare('SELECT 1 FROM images WHERE id = ?');
      const now = new Date().toISOString();
      for (const [imageId, classIds] of wanted) {
        if (!exists.get(imageId)) continue;
        const labels = current.all(imageId) as LabelRow[];
        const keep = (l: LabelRow) => l.source === 'human' && classIds.has(l.class_id);
        for (const l of labels) {
          if (!keep(l) && (single || classIds.has(l.class_id))) log.remove(l);
        }
        for (const classId of classIds) {
          if (labels.some((l) => l.class_id === classId && keep(l))) continue;
          log.add({
            image_id: imageId,
            class_id: classId,
            source: 'human',
            run_id: null,
            confidence: null,
            created_at: now,
          });
        }
      }
    });
  }

  /**
   * A human confirms model suggestions: each becomes a human label that keeps the run and
   * confidence it came from (so history says "human, from run N at 87 %"). One batch, so
   * one undo reverts them all. In single-label projects it replaces the image's labels.
   */
  confirm(
    items: readonly { imageId: number; classId: number; runId: number; confidence: number }[],
    description: Description,
    opts: { replaceHuman?: boolean } = {},
  ): LabelChange {
    const single = this.labelMode() === 'single';
    if (!opts.replaceHuman) {
      const n = this.replacedHuman(items.map((i) => [i.imageId, [i.classId]]));
      if (n > 0) return this.refused(n);
    }
    const current = this.db.prepare('SELECT * FROM labels WHERE image_id = ?');
    const classExists = this.db.prepare('SELECT 1 FROM classes WHERE id = ?');
    return this.batch(description, (log) => {
      const seen = new Set<number>();
      for (const item of items) {
        if (seen.has(item.imageId) || !classExists.get(item.classId)) continue;
        seen.add(item.imageId);
        const labels = current.all(item.imageId) as LabelRow[];
        const same = labels.find((l) => l.class_id === item.classId);
        if (same?.source === 'human' && (!single || labels.length === 1)) continue;
        for (const l of labels) if (l.class_id === item.classId || single) log.remove(l);
        log.add({
          image_id: item.imageId,
          class_id: item.classId,
          source: 'human',
          run_id: item.runId,
          confidence: item.confidence,
          created_at: new Date().toISOString(),
        });
      }
    });
  }

  /** Takes `classId` off each image. */
  unassign(imageIds: readonly number[], classId: number, description: Description): LabelChange {
    const find = this.db.prepare('SELECT * FROM labels WHERE image_id = ? AND class_id = ?');
    return this.batch(description, (log) => {
      for (const imageId of new Set(imageIds)) {
        const row = find.get(imageId, classId) as LabelRow | undefined;
        if (row) log.remove(row);
      }
    });
  }

  /** Removes every label of each image. */
  clear(imageIds: readonly number[], description: Description): LabelChange {
    const find = this.db.prepare('SELECT * FROM labels WHERE image_id = ?');
    return this.batch(description, (log) => {
      for (const imageId of new Set(imageIds)) {
        for (const row of find.all(imageId) as LabelRow[]) log.remove(row);
      }
    });
  }

  /** Reverts the latest action; null when there is nothing to undo. */
  undo(): LabelChange | null {
    const batch = this.db
      .prepare(
        "SELECT id, description FROM label_batches WHERE state = 'done' ORDER BY id DESC LIMIT 1",
      )
      .get() as { id: number; description: string } | undefined;
    if (!batch) return null;
    const rows = this.historyOf(batch.id).reverse();
    const done: LabelRowChange[] = [];
    this.db.transaction(() => {
      for (const r of rows) {
        const undoAdd = r.action === 'add';
        if (undoAdd ? this.deleteLabel(r) : this.insertLabel(r))
          done.push({
            image_id: r.image_id,
            class_id: r.class_id,
            action: undoAdd ? 'remove' : 'add',
          });
      }
      this.db.prepare("UPDATE label_batches SET state = 'undone' WHERE id = ?").run(batch.id);
    })();
    labelCounter(this.db).apply(done);
    return this.change(batch.id, `Undo ${batch.description}`, rows);
  }

  /** Re-applies the latest undone action; null when there is nothing to redo. */
  redo(): LabelChange | null {
    const batch = this.db
      .prepare(
        "SELECT id, description FROM label_batches WHERE state = 'undone' ORDER BY id ASC LIMIT 1",
      )
      .get() as { id: number; description: string } | undefined;
    if (!batch) return null;
    const rows = this.historyOf(batch.id);
    const done: LabelRowChange[] = [];
    this.db.transaction(() => {
      for (const r of rows) {
        if (r.action === 'add' ? this.insertLabel(r) : this.deleteLabel(r))
          done.push({ image_id: r.image_id, class_id: r.class_id, action: r.action });
      }
      this.db.prepare("UPDATE label_batches SET state = 'done' WHERE id = ?").run(batch.id);
    })();
    labelCounter(this.db).apply(done);
    return this.change(batch.id, `Redo ${batch.description}`, rows);
  }

  canUndo(): boolean {
    return !!this.db.prepare("SELECT 1 FROM label_batches WHERE state = 'done' LIMIT 1").get();
  }

  canRedo(): boolean {
    return !!this.db.prepare("SELECT 1 FROM label_batches WHERE state = 'undone' LIMIT 1").get();
  }

  /** Forgets redo (after an action that cannot be undone, e.g. deleting a class). */
  discardRedo(): void {
    this.db.prepare("UPDATE label_batches SET state = 'discarded' WHERE state = 'undone'").run();
  }

  /** Everything that happened to one image's labels, oldest first. */
  history(imageId: number): LabelEvent[] {
    const rows = this.db
      .prepare(
        `SELECT h.*, c.name AS class_name, b.state AS batch_state
           FROM label_history h
           LEFT JOIN classes c ON c.id = h.class_id
           LEFT JOIN label_batches b ON b.id = h.batch_id
          WHERE h.image_id = ? ORDER BY h.id`,
      )
      .all(imageId) as (HistoryRow & { class_name: string | null; batch_state: string | null })[];
    return rows.map((r) => ({
      classId: r.class_id,
      className: r.class_name,
      action: r.action,
      source: r.source,
      runId: r.run_id,
      confidence: r.confidence,
      at: r.at,
      undone: r.batch_state === 'undone' || r.batch_state === 'discarded',
    }));
  }

  private batch(
    describe: Description,
    work: (log: { add(l: LabelRow): void; remove(l: LabelRow): void }) => void,
  ): LabelChange {
    const rows: HistoryRow[] = [];
    let batchId: number | null = null;
    let description = typeof describe === 'string' ? describe : '';
    this.db.transaction(() => {
      const now = new Date().toISOString();
      batchId = Number(
        this.db
          .prepare('INSERT INTO label_batches (description, created_at) VALUES (?, ?)')
          .run(description, now).lastInsertRowid,
      );
      const history = this.db.prepare(
        `INSERT INTO label_history (image_id, class_id, action, source, run_id, confidence, batch_id, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const record = (action: 'add' | 'remove', l: LabelRow) => {
        const id = Number(
          history.run(
            l.image_id,
            l.class_id,
            action,
            l.source,
            l.run_id,
            l.confidence,
            batchId,
            now,
          ).lastInsertRowid,
        );
        rows.push({
          id,
          image_id: l.image_id,
          class_id: l.class_id,
          action,
          source: l.source,
          run_id: l.run_id,
          confidence: l.confidence,
          at: l.created_at,
        });
      };
      work({
        add: (l) => {
          this.insertLabel({ ...l, at: l.created_at });
          record('add', l);
        },
        remove: (l) => {
          this.deleteLabel(l);
          record('remove', l);
        },
      });
      if (rows.length === 0) {
        this.db.prepare('DELETE FROM label_batches WHERE id = ?').run(batchId);
        batchId = null;
        return;
      }
      // Only an action that changed something ends the redo chain.
      this.discardRedo();
      if (typeof describe === 'function') {
        description = describe(new Set(rows.map((r) => r.image_id)).size);
        this.db
          .prepare('UPDATE label_batches SET description = ? WHERE id = ?')
          .run(description, batchId);
      }
    })();
    if (rows.length === 0 && typeof describe === 'function') description = describe(0);
    labelCounter(this.db).apply(rows);
    return this.change(batchId, description, rows);
  }

  /**
   * How many images would lose a human label to another class (single-label projects: the
   * new class replaces the others). Each entry is an image and the classes it would get.
   */
  replacedHuman(wanted: readonly (readonly [number, readonly number[]])[]): number {
    if (this.labelMode() !== 'single') return 0;
    const human = this.db.prepare(
      "SELECT class_id FROM labels WHERE image_id = ? AND source = 'human'",
    );
    const counted = new Set<number>();
    for (const [imageId, classIds] of wanted) {
      if (counted.has(imageId)) continue;
      const rows = human.all(imageId) as { class_id: number }[];
      if (rows.some((r) => !classIds.includes(r.class_id))) counted.add(imageId);
    }
    return counted.size;
  }

  private refused(replacesHuman: number): LabelChange {
    return {
      batchId: null,
      description: `Nothing changed: that would replace human labels of another class on ${replacesHuman} image${replacesHuman === 1 ? '' : 's'}`,
      imageIds: [],
      canUndo: this.canUndo(),
      canRedo: this.canRedo(),
      replacesHuman,
    };
  }

  private historyOf(batchId: number): HistoryRow[] {
    return this.db
      .prepare('SELECT * FROM label_history WHERE batch_id = ? ORDER BY id')
      .all(batchId) as HistoryRow[];
  }

  /** Writes a label; false when its image or class is gone since (then nothing is written). */
  private insertLabel(
    r: Pick<HistoryRow, 'image_id' | 'class_id' | 'source' | 'run_id' | 'confidence' | 'at'>,
  ): boolean {
    // The image or class may be gone since (deleted root, deleted class): skip those.
    const info = this.db
      .prepare(
        `INSERT OR REPLACE INTO labels (image_id, class_id, source, run_id, confidence, created_at)
         SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM images WHERE id = ?)
                                  AND EXISTS (SELECT 1 FROM classes WHERE id = ?)`,
      )
      .run(r.image_id, r.class_id, r.source, r.run_id, r.confidence, r.at, r.image_id, r.class_id);
    return info.changes > 0;
  }

  /** Takes a label off; false when it was not there. */
  private deleteLabel(r: Pick<HistoryRow, 'image_id' | 'class_id'>): boolean {
    return (
      this.db
        .prepare('DELETE FROM labels WHERE image_id = ? AND class_id = ?')
        .run(r.image_id, r.class_id).changes > 0
    );
  }

  private requireClass(classId: number): void {
    if (!this.db.prepare('SELECT 1 FROM classes WHERE id = ?').get(classId)) {
      throw new OcellusError('NOT_FOUND', `No class with id ${classId}`);
    }
  }

  private change(batchId: number | null, description: string, rows: HistoryRow[]): LabelChange {
    return {
      batchId,
      description,
      imageIds: [...new Set(rows.map((r) => r.image_id))],
      canUndo: this.canUndo(),
      canRedo: this.canRedo(),
    };
  }
}
