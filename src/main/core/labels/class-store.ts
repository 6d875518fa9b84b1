import type Database from 'better-sqlite3';
import { writeMeta } from '../store/meta';
import { OcellusError } from '../../../shared/errors';
import type { ClassInfo, ClassUpdate, LabelCounts, LabelMode } from '../../../shared/types';
import { CLASS_PALETTE, HOTKEYS } from './classes';
import { labelCounter } from './label-counts';
import { LabelTable } from './label-table';

const MIN_PER_CLASS = 5;

/** The class list of a project: create, rename, recolour, re-key, reorder, merge, delete. */
export class ClassStore {
  constructor(private readonly db: Database.Database) {}

  /** Classes in their display order, with how many visible images carry each. */
  list(): ClassInfo[] {
    const rows = this.db
      .prepare(
        'SELECT c.id, c.name, c.color, c.hotkey, c.sort_order FROM classes c ORDER BY c.sort_order, c.id',
      )
      .all() as {
      id: number;
      name: string;
      color: string;
      hotkey: string | null;
      sort_order: number;
    }[];
    const counts = labelCounter(this.db).get().perClass;
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      color: r.color,
      hotkey: r.hotkey,
      sortOrder: r.sort_order,
      count: counts.get(r.id) ?? 0,
    }));
  }

  /** One class, or NOT_FOUND. */
  get(id: number): ClassInfo {
    const found = this.list().find((c) => c.id === id);
    if (!found) throw new OcellusError('NOT_FOUND', `No class with id ${id}`);
    return found;
  }

  /** Creates a class; names are unique regardless of case. */
  add(name: string, update: ClassUpdate = {}): ClassInfo {
    const clean = cleanName(name);
    if (this.db.prepare('SELECT 1 FROM classes WHERE name = ?').get(clean)) {
      throw new OcellusError('ALREADY_EXISTS', `There is already a class named ${clean}`);
    }
    const id = ensureClass(this.db, clean);
    if (update.color !== undefined || update.hotkey !== undefined)
      this.update(id, { color: update.color, hotkey: update.hotkey });
    return this.get(id);
  }

  /** Renames, recolours or re-keys a class. A hotkey taken by another class moves here. */
  update(id: number, update: ClassUpdate): ClassInfo {
    this.get(id);
    this.db.transaction(() => {
      if (update.name !== undefined) {
        const clean = cleanName(update.name);
        const clash = this.db
          .prepare('SELECT id FROM classes WHERE name = ? AND id != ?')
          .get(clean, id);
        if (clash)
          throw new OcellusError(
            'ALREADY_EXISTS',
            `There is already a class named ${clean}; merge them instead`,
          );
        this.db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(clean, id);
      }
      if (update.color !== undefined) {
        if (!/^#[0-9a-fA-F]{6}$/.test(update.color)) {
          throw new OcellusError('INVALID_ARGUMENT', 'A colour is written #rrggbb');
        }
        this.db
          .prepare('UPDATE classes SET color = ? WHERE id = ?')
          .run(update.color.toLowerCase(), id);
      }
      if (update.hotkey !== undefined) {
        const key = update.hotkey === null ? null : update.hotkey.toLowerCase();
        if (key !== null && !HOTKEYS.includes(key)) {
          throw new OcellusError('INVALID_ARGUMENT', 'A hotkey is one of 1–9 or a–z');
        }
        if (key !== null)
          this.db
            .prepare('UPDATE classes SET hotkey = NULL WHERE hotkey = ? AND id != ?')
            .run(key, id);
        this.db.prepare('UPDATE classes SET hotkey = ? WHERE id = ?').run(key, id);
      }
    })();
    return this.get(id);
  }

  /** Puts classes in the given order (ids not listed keep their relative order after). */
  reorder(ids: readonly number[]): ClassInfo[] {
    const all = this.list().map((c) => c.id);
    const order = [
      ...ids.filter((id) => all.includes(id)),
      ...all.filter((id) => !ids.includes(id)),
    ];
    const stmt = this.db.prepare('UPDATE classes SET sort_order = ? WHERE id = ?');
    this.db.transaction(() => order.forEach((id, i) => stmt.run(i, id)))();
    return this.list();
  }

  /**
   * Moves every label of `sourceId` to `targetId` and deletes the source. Images that had
   * both keep one label; in single-label projects the target wins over other labels too.
   */
  merge(sourceId: number, targetId: number): { moved: number } {
    if (sourceId === targetId)
      throw new OcellusError('INVALID_ARGUMENT', 'Cannot merge a class into itself');
    this.get(sourceId);
    this.get(targetId);
    let moved = 0;
    this.db.transaction(() => {
      moved = new LabelTable(this.db).moveClass(sourceId, targetId);
      this.db.prepare('DELETE FROM classes WHERE id = ?').run(sourceId);
    })();
    labelCounter(this.db).invalidate();
    return { moved };
  }

  /** Deletes a class and its labels (the images stay). */
  delete(id: number): { removedLabels: number } {
    const info = this.get(id);
    this.db.prepare('DELETE FROM classes WHERE id = ?').run(id);
    labelCounter(this.db).invalidate();
    return { removedLabels: info.count };
  }

  /**
   * Switches between single- and multi-label. Going to single keeps, per image, the most
   * recent human label (else the most confident model label) and reports how many lost others.
   */
  setLabelMode(mode: LabelMode): { affectedImages: number } {
    if (mode !== 'single' && mode !== 'multi')
      throw new OcellusError('INVALID_ARGUMENT', `Unknown label mode ${String(mode)}`);
    let affected = 0;
    this.db.transaction(() => {
      if (mode === 'single') {
        const table = new LabelTable(this.db);
        affected = table.multiLabelledCount();
        const rows = table.multiLabelled();
        const keep = new Map<number, (typeof rows)[number]>();
        const rank = (r: (typeof rows)[number]) =>
          [r.source === 'human' ? 1 : 0, r.confidence ?? 0, r.created_at] as const;
        for (const r of rows) {
          const k = keep.get(r.image_id);
          if (!k || compareRank(rank(r), rank(k)) > 0) keep.set(r.image_id, r);
        }
        for (const r of rows)
          if (keep.get(r.image_id)?.class_id !== r.class_id) table.delete(r.image_id, r.class_id);
      }
      writeMeta(this.db, 'label_mode', mode);
    })();
    labelCounter(this.db).invalidate();
    return { affectedImages: affected };
  }

  /** Per-class counts, unlabelled images and whether there is enough to train. */
  counts(): LabelCounts {
    const classes = this.list();
    const { unlabelled, readable } = labelCounter(this.db).get();
    const enough = classes.filter((c) => c.count >= MIN_PER_CLASS);
    const readyToTrain = enough.length >= 2;
    let readyHint: string | null = null;
    if (!readyToTrain) {
      readyHint =
        classes.length < 2
          ? 'Create at least two classes and label at least 5 images in each.'
          : `Label at least ${MIN_PER_CLASS} images in at least two classes (${enough.length} ready so far).`;
    }
    return { classes, unlabelled, readable, readyToTrain, readyHint };
  }
}

function compareRank(
  a: readonly [number, number, string],
  b: readonly [number, number, string],
): number {
  return a[0] - b[0] || a[1] - b[1] || a[2].localeCompare(b[2]);
}

function cleanName(name: unknown): string {
  if (typeof name !== 'string')
    throw new OcellusError('INVALID_ARGUMENT', 'A class name must be text');
  const clean = name.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (!clean) throw new OcellusError('INVALID_ARGUMENT', 'A class name cannot be empty');
  if (clean.length > 100)
    throw new OcellusError('INVALID_ARGUMENT', 'A class name is at most 100 characters');
  return clean;
}

/** Returns the id of the class named `name` (case-insensitive), creating it if needed. */
export function ensureClass(db: Database.Database, name: string): number {
  const existing = db.prepare('SELECT id FROM classes WHERE name = ?').get(name) as
    { id: number } | undefined;
  if (existing) return existing.id;
  const { n, maxOrder } = db
    .prepare('SELECT COUNT(*) AS n, COALESCE(MAX(sort_order), -1) AS maxOrder FROM classes')
    .get() as { n: number; maxOrder: number };
  const used = new Set(
    (
      db.prepare('SELECT hotkey FROM classes WHERE hotkey IS NOT NULL').all() as {
        hotkey: string;
      }[]
    ).map((r) => r.hotkey),
  );
  const hotkey = [...HOTKEYS].find((k) => !used.has(k)) ?? null;
  const info = db
    .prepare(
      'INSERT INTO classes (name, color, hotkey, sort_order, created_at) VALUES (?, ?, ?, ?, ?)',
    )
    .run(
      name,
      CLASS_PALETTE[n % CLASS_PALETTE.length],
      hotkey,
      maxOrder + 1,
      new Date().toISOString(),
    );
  return Number(info.lastInsertRowid);
}

/** Whether a class with this id exists. */
export function classExists(db: Database.Database, classId: number): boolean {
  return db.prepare('SELECT 1 FROM classes WHERE id = ?').get(classId) !== undefined;
}
