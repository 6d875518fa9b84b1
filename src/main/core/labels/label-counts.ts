import type Database from 'better-sqlite3';

export interface Counts {
  /** Labels per class on images that are not missing. */
  perClass: Map<number, number>;
  /** Readable images (ok, not missing), and how many of them have no label. */
  readable: number;
  unlabelled: number;
}

/** One row a label batch wrote. */
export interface LabelRowChange {
  image_id: number;
  class_id: number;
  action: 'add' | 'remove';
}

/**
 * The project's label counters, counted once and then moved by every label batch, so the
 * counters the UI shows after each key never scan a million images (that held the database
 * for a second at 1,000,000 images, and every label write waited behind it). Anything else
 * that changes images or labels (imports, missing files, class edits) invalidates them.
 */
export class LabelCounter {
  private state: Counts | null = null;

  constructor(private readonly db: Database.Database) {}

  /** Counts from scratch at the next read. */
  invalidate(): void {
    this.state = null;
  }

  /** The counters now. */
  get(): Counts {
    if (!this.state) this.state = this.count();
    return this.state;
  }

  /** Moves the counters by a batch's rows, read after they were written. */
  apply(rows: readonly LabelRowChange[]): void {
    const s = this.state;
    if (!s || rows.length === 0) return;
    const image = this.db.prepare('SELECT status, missing FROM images WHERE id = ?');
    const labelsOf = this.db.prepare('SELECT COUNT(*) AS n FROM labels WHERE image_id = ?');
    const byImage = new Map<number, LabelRowChange[]>();
    for (const r of rows) byImage.set(r.image_id, [...(byImage.get(r.image_id) ?? []), r]);
    for (const [id, changes] of byImage) {
      const im = image.get(id) as { status: string; missing: number } | undefined;
      if (!im || im.missing) continue;
      let delta = 0;
      for (const c of changes) {
        const d = c.action === 'add' ? 1 : -1;
        delta += d;
        s.perClass.set(c.class_id, (s.perClass.get(c.class_id) ?? 0) + d);
      }
      if (im.status !== 'ok') continue;
      const after = (labelsOf.get(id) as { n: number }).n;
      const before = after - delta;
      if (before === 0 && after > 0) s.unlabelled--;
      else if (before > 0 && after === 0) s.unlabelled++;
    }
  }

  private count(): Counts {
    const perClass = new Map(
      (
        this.db
          .prepare(
            `SELECT l.class_id AS id, COUNT(*) AS n FROM labels l JOIN images i ON i.id = l.image_id
              WHERE i.missing = 0 GROUP BY l.class_id`,
          )
          .all() as { id: number; n: number }[]
      ).map((r) => [r.id, r.n]),
    );
    const { readable, unlabelled } = this.db
      .prepare(
        `SELECT COUNT(*) AS readable,
                COALESCE(SUM(NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id)), 0) AS unlabelled
           FROM images i WHERE i.status = 'ok' AND i.missing = 0`,
      )
      .get() as { readable: number; unlabelled: number };
    return { perClass, readable, unlabelled };
  }
}

const counters = new WeakMap<Database.Database, LabelCounter>();

/** The label counters of a project's connection. */
export function labelCounter(db: Database.Database): LabelCounter {
  let c = counters.get(db);
  if (!c) {
    c = new LabelCounter(db);
    counters.set(db, c);
  }
  return c;
}
