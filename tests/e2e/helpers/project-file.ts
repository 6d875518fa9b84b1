import Database from 'better-sqlite3';

export interface StoredLabel {
  imageId: number;
  classId: number;
  source: 'human' | 'model';
}

/**
 * Reads a project file the server has open (WAL mode lets a second, read-only connection see
 * every committed write): what the tests compare with what the UI did.
 */
export class ProjectFile {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
  }

  /** The project's label mode, as the file says. */
  labelMode(): string | undefined {
    return (
      this.db.prepare("SELECT value FROM meta WHERE key = 'label_mode'").get() as
        { value: string } | undefined
    )?.value;
  }

  /** Every current label, by image then class. */
  labels(): StoredLabel[] {
    return this.db
      .prepare(
        'SELECT image_id AS imageId, class_id AS classId, source FROM labels ORDER BY image_id, class_id',
      )
      .all() as StoredLabel[];
  }

  /** The class of each labelled image (single-label projects). */
  labelMap(): Map<number, number> {
    return new Map(this.labels().map((l) => [l.imageId, l.classId]));
  }

  /** Image ids by path relative to the root, and the other way round. */
  images(): { id: number; relPath: string; sequenceId: number | null }[] {
    return this.db
      .prepare(
        'SELECT id, rel_path AS relPath, sequence_id AS sequenceId FROM images WHERE missing = 0 ORDER BY root_id, rel_path',
      )
      .all() as { id: number; relPath: string; sequenceId: number | null }[];
  }

  /** What the labelling model needs of every image: order keys and the current suggestion. */
  imageInfo(): {
    id: number;
    rootId: number;
    relPath: string;
    sequenceId: number | null;
    takenAt: string | null;
    mtimeMs: number | null;
    suggestion: { classId: number | null; confidence: number; margin: number } | null;
  }[] {
    const run = (
      this.db.prepare("SELECT value FROM meta WHERE key = 'suggestions_run'").get() as
        { value: string } | undefined
    )?.value;
    const rows = this.db
      .prepare(
        `SELECT i.id, i.root_id AS rootId, i.rel_path AS relPath, i.sequence_id AS sequenceId,
                i.taken_at AS takenAt, i.mtime_ms AS mtimeMs,
                p.class_id AS classId, p.confidence, p.margin
           FROM images i LEFT JOIN predictions p ON p.image_id = i.id AND p.run_id = ?
          WHERE i.missing = 0 AND i.status = 'ok'`,
      )
      .all(run === undefined ? -1 : Number(run)) as {
      id: number;
      rootId: number;
      relPath: string;
      sequenceId: number | null;
      takenAt: string | null;
      mtimeMs: number | null;
      classId: number | null;
      confidence: number | null;
      margin: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      rootId: r.rootId,
      relPath: r.relPath,
      sequenceId: r.sequenceId,
      takenAt: r.takenAt,
      mtimeMs: r.mtimeMs,
      suggestion:
        r.confidence === null
          ? null
          : { classId: r.classId, confidence: r.confidence, margin: r.margin ?? 0 },
    }));
  }

  classes(): { id: number; name: string; hotkey: string | null }[] {
    return this.db.prepare('SELECT id, name, hotkey FROM classes ORDER BY sort_order').all() as {
      id: number;
      name: string;
      hotkey: string | null;
    }[];
  }

  close(): void {
    this.db.close();
  }
}
