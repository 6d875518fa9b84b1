import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { LabelChange, LabelEvent, LabelMode, LabelOptions } from '../../../shared/types';
import { classExists } from './class-store';
import { labelCounter, type LabelRowChange } from './label-counts';
import { LabelTable, type HistoryRow, type LabelRow, type Source } from './label-table';

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
 * Changes outside the labels table that belong to label batches (box labels, owned by a
 * higher layer): undone and redone with their batch, inside its transaction.
 */
export interface BatchParticipant {
  /** Reverts (undo) or reapplies (redo) what the batch changed; returns the images touched. */
  replay(batchId: number, direction: 'undo' | 'redo'): number[];
}

/**
 * Label writes with history and undo. Every user action is one batch of history rows; undo
 * replays a batch backwards, redo forwards. A human label always outranks a model's: model
 * labels never replace human ones, and a human label replaces a model suggestion.
 */
export class LabelStore {
  private readonly table: LabelTable;

  constructor(
    private readonly db: Database.Database,
    private readonly labelMode: () => LabelMode,
    private readonly participants: readonly BatchParticipant[] = [],
  ) {
    this.table = new LabelTable(db);
  }

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
      for (const imageId of new Set(imageIds)) {
        if (!this.table.imageExists(imageId)) continue;
        const labels = this.table.ofImage(imageId);
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
      const now = new Date().toISOString();
      for (const [imageId, classIds] of wanted) {
        if (!this.table.imageExists(imageId)) continue;
        const labels = this.table.ofImage(imageId);
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
    return this.batch(description, (log) => {
      const seen = new Set<number>();
      for (const item of items) {
        if (seen.has(item.imageId) || !classExists(this.db, item.classId)) continue;
        seen.add(item.imageId);
        const labels = this.table.ofImage(item.imageId);
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

  /**
   * Takes `classId` off each image. Taking human labels off more than one image is refused
   * with their count (the caller asks, then goes ahead with `replaceHuman`), as replacing is.
   */
  unassign(
    imageIds: readonly number[],
    classId: number,
    description: Description,
    opts: LabelOptions = {},
  ): LabelChange {
    if (!opts.replaceHuman) {
      const ids = [...new Set(imageIds)];
      const n = ids.filter((id) => this.table.humanClassesOf(id).includes(classId)).length;
      if (n > 1) return this.refused(n, 'remove');
    }
    return this.batch(description, (log) => {
      for (const imageId of new Set(imageIds)) {
        const row = this.table.find(imageId, classId);
        if (row) log.remove(row);
      }
    });
  }

  /** Removes every label of each image; human labels on more than one image are asked about first. */
  clear(
    imageIds: readonly number[],
    description: Description,
    opts: LabelOptions = {},
  ): LabelChange {
    if (!opts.replaceHuman) {
      const ids = [...new Set(imageIds)];
      const n = ids.filter((id) => this.table.humanClassesOf(id).length > 0).length;
      if (n > 1) return this.refused(n, 'remove');
    }
    return this.batch(description, (log) => {
      for (const imageId of new Set(imageIds)) {
        for (const row of this.table.ofImage(imageId)) log.remove(row);
      }
    });
  }

  /** Reverts the latest action; null when there is nothing to undo. */
  undo(): LabelChange | null {
    const batch = this.table.nextBatch('done');
    if (!batch) return null;
    const rows = this.historyOf(batch.id).reverse();
    const done: LabelRowChange[] = [];
    const touched: number[] = [];
    this.db.transaction(() => {
      for (const p of this.participants) touched.push(...p.replay(batch.id, 'undo'));
      for (const r of rows) {
        const undoAdd = r.action === 'add';
        if (undoAdd ? this.deleteLabel(r) : this.insertLabel(r))
          done.push({
            image_id: r.image_id,
            class_id: r.class_id,
            action: undoAdd ? 'remove' : 'add',
          });
      }
      this.table.setBatchState(batch.id, 'undone');
    })();
    labelCounter(this.db).apply(done);
    return this.change(batch.id, `Undo ${batch.description}`, rows, touched);
  }

  /** Re-applies the latest undone action; null when there is nothing to redo. */
  redo(): LabelChange | null {
    const batch = this.table.nextBatch('undone');
    if (!batch) return null;
    const rows = this.historyOf(batch.id);
    const done: LabelRowChange[] = [];
    const touched: number[] = [];
    this.db.transaction(() => {
      for (const p of this.participants) touched.push(...p.replay(batch.id, 'redo'));
      for (const r of rows) {
        if (r.action === 'add' ? this.insertLabel(r) : this.deleteLabel(r))
          done.push({ image_id: r.image_id, class_id: r.class_id, action: r.action });
      }
      this.table.setBatchState(batch.id, 'done');
    })();
    labelCounter(this.db).apply(done);
    return this.change(batch.id, `Redo ${batch.description}`, rows, touched);
  }

  canUndo(): boolean {
    return this.table.hasBatch('done');
  }

  canRedo(): boolean {
    return this.table.hasBatch('undone');
  }

  /**
   * After an action that cannot be undone (a class deleted or merged, the label mode changed):
   * redo is forgotten, and undo stops there, since what the earlier steps named is gone (undo
   * said "Undo Label 3 images as blob" and changed nothing once blob was merged away).
   */
  endUndoHere(): void {
    this.table.discardUndone();
    this.table.sealHistory();
  }

  /** Everything that happened to one image's labels, oldest first. */
  history(imageId: number): LabelEvent[] {
    return this.table.historyOfImage(imageId).map((r) => ({
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

  /**
   * One undoable action that also changes what a participant owns (box labels): `work` gets
   * the batch id, writes its own history under it and returns the images it changed.
   */
  batchWith(description: string, work: (batchId: number) => number[]): LabelChange {
    return this.batch(description, (_log, batchId) => work(batchId));
  }

  private batch(
    describe: Description,
    work: (
      log: { add(l: LabelRow): void; remove(l: LabelRow): void },
      batchId: number,
    ) => number[] | void,
  ): LabelChange {
    const rows: HistoryRow[] = [];
    let touched: number[] = [];
    let batchId: number | null = null;
    let description = typeof describe === 'string' ? describe : '';
    this.db.transaction(() => {
      const now = new Date().toISOString();
      const opened = this.table.openBatch(description, now);
      batchId = opened;
      const history = this.table.historyRecorder(opened, now);
      const record = (action: 'add' | 'remove', l: LabelRow) => {
        const id = history(action, l);
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
      const extra = work(
        {
          add: (l) => {
            this.insertLabel({ ...l, at: l.created_at });
            record('add', l);
          },
          remove: (l) => {
            this.deleteLabel(l);
            record('remove', l);
          },
        },
        opened,
      );
      touched = extra ?? [];
      if (rows.length === 0 && touched.length === 0) {
        this.table.dropBatch(opened);
        batchId = null;
        return;
      }
      // Only an action that changed something ends the redo chain.
      this.table.discardUndone();
      if (typeof describe === 'function') {
        description = describe(new Set(rows.map((r) => r.image_id)).size);
        this.table.describeBatch(opened, description);
      }
    })();
    if (rows.length === 0 && typeof describe === 'function') description = describe(0);
    labelCounter(this.db).apply(rows);
    return this.change(batchId, description, rows, touched);
  }

  /**
   * How many images would lose a human label to another class (single-label projects: the
   * new class replaces the others). Each entry is an image and the classes it would get.
   */
  replacedHuman(wanted: readonly (readonly [number, readonly number[]])[]): number {
    if (this.labelMode() !== 'single') return 0;
    const counted = new Set<number>();
    for (const [imageId, classIds] of wanted) {
      if (counted.has(imageId)) continue;
      const human = this.table.humanClassesOf(imageId);
      if (human.some((c) => !classIds.includes(c))) counted.add(imageId);
    }
    return counted.size;
  }

  private refused(replacesHuman: number, what: 'replace' | 'remove' = 'replace'): LabelChange {
    const images = `${replacesHuman} image${replacesHuman === 1 ? '' : 's'}`;
    return {
      batchId: null,
      description:
        what === 'replace'
          ? `Nothing changed: that would replace human labels of another class on ${images}`
          : `Nothing changed: that would take human labels off ${images}`,
      imageIds: [],
      canUndo: this.canUndo(),
      canRedo: this.canRedo(),
      replacesHuman,
    };
  }

  private historyOf(batchId: number): HistoryRow[] {
    return this.table.historyOf(batchId);
  }

  private insertLabel(
    r: Pick<HistoryRow, 'image_id' | 'class_id' | 'source' | 'run_id' | 'confidence' | 'at'>,
  ): boolean {
    return this.table.insert(r);
  }

  private deleteLabel(r: Pick<HistoryRow, 'image_id' | 'class_id'>): boolean {
    return this.table.delete(r.image_id, r.class_id);
  }

  private requireClass(classId: number): void {
    if (!classExists(this.db, classId)) {
      throw new OcellusError('NOT_FOUND', `No class with id ${classId}`);
    }
  }

  private change(
    batchId: number | null,
    description: string,
    rows: HistoryRow[],
    touched: readonly number[] = [],
  ): LabelChange {
    return {
      batchId,
      description,
      imageIds: [...new Set([...rows.map((r) => r.image_id), ...touched])],
      canUndo: this.canUndo(),
      canRedo: this.canRedo(),
    };
  }
}
