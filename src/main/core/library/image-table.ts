import type Database from 'better-sqlite3';

/** What reading an image found, written onto its row. */
export interface ProbedRow {
  id: number;
  status: string;
  error: string | null;
  size: number;
  mtimeMs: number;
  hash: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  takenAt: string | null;
  make: string | null;
  model: string | null;
  serial: string | null;
  orientation: number | null;
  gpsLat: number | null;
  gpsLon: number | null;
  gpsAlt: number | null;
  /** How many frames the file holds when more than one (each its own row), else null. */
  frames: number | null;
}

/** A row's first-frame place: its root, its path there, and whether the file is missing. */
export interface RowPlace {
  rootId: number;
  relPath: string;
  missing: number;
}

/**
 * The writes of the `images` table: the one module whose SQL changes an image row (the
 * scan records files, the indexer what it read, the derivative queue the rendering, the
 * sequence pass the sequences). Statements are prepared once: these run per image.
 */
export class ImageTable {
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

  /** The readable, present images of a sequence. */
  sequenceMembers(sequenceId: number): number[] {
    return (
      this.sql("SELECT id FROM images WHERE sequence_id = ? AND missing = 0 AND status = 'ok'")
        .raw()
        .all(sequenceId) as [number][]
    ).map((r) => r[0]);
  }

  /** The content hashes of some images (those not read yet have none). */
  hashesOf(ids: readonly number[]): Set<string> {
    const out = new Set<string>();
    for (const id of ids) {
      const h = this.hashOf(id);
      if (h) out.add(h);
    }
    return out;
  }

  /** A new file to read. */
  insertPending(rootId: number, relPath: string, size: number, mtime: number, at: string): void {
    this.sql(
      `INSERT INTO images (root_id, rel_path, status, size, mtime_ms, imported_at)
       VALUES (?, ?, 'pending', ?, ?, ?)`,
    ).run(rootId, relPath, size, mtime, at);
  }

  /**
   * A changed (or returned) file is read again. Its other frames wait with it: reading the
   * first frame's row rewrites them all (library/indexer.ts).
   */
  repend(id: number, size: number, mtime: number): void {
    this.sql(
      `UPDATE images SET status = 'pending', error = NULL, size = ?, mtime_ms = ?, missing = 0,
              derived = 0 WHERE id = ?`,
    ).run(size, mtime, id);
    this.sql(
      `UPDATE images SET status = 'pending', derived = 0
        WHERE (root_id, rel_path) = (SELECT root_id, rel_path FROM images WHERE id = ?)
          AND frame > 0 AND missing = 0`,
    ).run(id);
  }

  /** The row of one frame of a file, if there is one. */
  frameRow(rootId: number, relPath: string, frame: number): number | null {
    const id = this.sql('SELECT id FROM images WHERE root_id = ? AND rel_path = ? AND frame = ?')
      .pluck()
      .get(rootId, relPath, frame) as number | undefined;
    return id ?? null;
  }

  /** A new row for a further frame of a file whose first frame was just read. */
  insertFrame(rootId: number, relPath: string, frame: number, at: string): number {
    return Number(
      this.sql(
        `INSERT INTO images (root_id, rel_path, frame, status, imported_at)
         VALUES (?, ?, ?, 'pending', ?)`,
      ).run(rootId, relPath, frame, at).lastInsertRowid,
    );
  }

  /**
   * The frames of the file holding image `id` from `fromFrame` on are gone (the file lost
   * frames, or is no longer readable): kept as missing, so their labels wait for the content.
   */
  markFramesMissing(id: number, fromFrame: number): number {
    return this.sql(
      `UPDATE images SET missing = 1
        WHERE (root_id, rel_path) = (SELECT root_id, rel_path FROM images WHERE id = ?)
          AND frame >= ? AND missing = 0`,
    ).run(id, fromFrame).changes;
  }

  /** A new file that will never be read, with the reason. */
  insertUnsupported(
    rootId: number,
    relPath: string,
    reason: string,
    mtime: number,
    at: string,
  ): void {
    this.sql(
      `INSERT INTO images (root_id, rel_path, status, error, size, mtime_ms, imported_at)
       VALUES (?, ?, 'unsupported', ?, 0, ?, ?)`,
    ).run(rootId, relPath, reason, mtime, at);
  }

  /** A known file that will never be read, with the reason. */
  markUnsupported(id: number, reason: string, mtime: number): void {
    this.sql(
      `UPDATE images SET status = 'unsupported', error = ?, size = 0, mtime_ms = ?, hash = NULL,
              width = NULL, height = NULL, missing = 0, derived = 0 WHERE id = ?`,
    ).run(reason, mtime, id);
  }

  /** Marks one file of a root as gone; 1 when it was there. */
  markMissing(rootId: number, relPath: string): number {
    return this.sql(
      'UPDATE images SET missing = 1 WHERE root_id = ? AND rel_path = ? AND missing = 0',
    ).run(rootId, relPath).changes;
  }

  /** Marks every file under a folder of a root as gone. */
  markFolderMissing(rootId: number, folder: string): number {
    return this.sql(
      `UPDATE images SET missing = 1
        WHERE root_id = ? AND missing = 0 AND substr(rel_path, 1, length(?) + 1) = ? || '/'`,
    ).run(rootId, folder, folder).changes;
  }

  /** Writes what reading the file found (it is there, and its derivatives are to be made). */
  writeProbe(row: ProbedRow): void {
    this.sql(
      `UPDATE images SET status = @status, error = @error, size = @size, mtime_ms = @mtimeMs,
              hash = @hash, width = @width, height = @height, format = @format,
              taken_at = @takenAt, camera_make = @make, camera_model = @model,
              camera_serial = @serial, orientation = @orientation,
              gps_lat = @gpsLat, gps_lon = @gpsLon, gps_alt = @gpsAlt, frames = @frames,
              missing = 0, derived = 0
        WHERE id = @id`,
    ).run(row);
  }

  /**
   * A missing image with this content takes over the (root, path) of a new row, which is
   * deleted: the file moved, and the old row keeps its labels.
   */
  takeOver(
    movedId: number,
    newRowId: number | null,
    rootId: number,
    relPath: string,
    frame = 0,
  ): void {
    // Free the (root, path, frame) slot first: it is unique.
    if (newRowId !== null) this.sql('DELETE FROM images WHERE id = ?').run(newRowId);
    this.sql('UPDATE images SET root_id = ?, rel_path = ?, frame = ? WHERE id = ?').run(
      rootId,
      relPath,
      frame,
      movedId,
    );
  }

  /** Where a row is, and whether its file is there. */
  placeOf(id: number): RowPlace | undefined {
    return this.sql(
      'SELECT root_id AS rootId, rel_path AS relPath, missing FROM images WHERE id = ?',
    ).get(id) as RowPlace | undefined;
  }

  /**
   * Moves a row to a first-frame place. Rows that trade places are parked first (a path
   * no file can have), as (root, path, frame) is unique.
   */
  moveTo(id: number, place: RowPlace | 'parked'): void {
    if (place === 'parked') {
      this.sql('UPDATE images SET rel_path = rel_path || char(0) || id WHERE id = ?').run(id);
      return;
    }
    this.sql(
      'UPDATE images SET root_id = ?, rel_path = ?, frame = 0, missing = ? WHERE id = ?',
    ).run(place.rootId, place.relPath, place.missing, id);
  }

  /**
   * The rows that are missing with some content (a file that moved or was renamed over), oldest
   * first. A further frame's content key carries its frame (`…-f2`), so frames match frames.
   */
  missingWithHash(hash: string): number[] {
    return this.sql('SELECT id FROM images WHERE hash = ? AND missing = 1 ORDER BY id')
      .pluck()
      .all(hash) as number[];
  }

  /**
   * Present first-frame rows whose content, as last read, was one of these: waiting to be read
   * again, or read with a size and time their file may no longer have.
   */
  rowsWithHashes(hashes: readonly string[]): {
    id: number;
    root_id: number;
    rel_path: string;
    status: string;
    size: number | null;
    mtime_ms: number | null;
  }[] {
    if (hashes.length === 0) return [];
    return this.sql(
      `SELECT id, root_id, rel_path, status, size, mtime_ms FROM images
        WHERE status IN ('pending', 'ok') AND missing = 0 AND frame = 0
          AND hash IN (SELECT value FROM json_each(?)) ORDER BY id`,
    ).all(JSON.stringify([...new Set(hashes)])) as ReturnType<ImageTable['rowsWithHashes']>;
  }

  /** A row's content hash as last read. */
  hashOf(id: number): string | null {
    return (
      (this.sql('SELECT hash FROM images WHERE id = ?').pluck().get(id) as string | null) ?? null
    );
  }

  /** Deletes every image of a root. */
  deleteRoot(rootId: number): void {
    this.sql('DELETE FROM images WHERE root_id = ?').run(rootId);
  }

  /** Rendering the derivatives failed: the image is broken or unsupported. */
  markUnreadable(id: number, status: string, error: string | null): void {
    this.sql('UPDATE images SET status = ?, error = ?, derived = 0 WHERE id = ?').run(
      status,
      error,
      id,
    );
  }

  /** The image's thumbnail and model input are in the cache. */
  markDerived(id: number): void {
    this.sql('UPDATE images SET derived = 1 WHERE id = ?').run(id);
  }

  /** Sets (or clears) an image's sequence. */
  setSequence(id: number, sequenceId: number | null): void {
    this.sql('UPDATE images SET sequence_id = ? WHERE id = ?').run(sequenceId, id);
  }

  /** Unreadable and missing images belong to no sequence. */
  clearUnlistedSequences(): void {
    this.sql(
      "UPDATE images SET sequence_id = NULL WHERE (status != 'ok' OR missing = 1) AND sequence_id IS NOT NULL",
    ).run();
  }
}

/** A content's first readable row: its file (root and path together) and frame. */
export interface ContentSource {
  hash: string;
  rootId: number;
  relPath: string;
  frame: number;
}

/**
 * The first readable row of each content (by hash, oldest first) that `done` does not cover.
 * `done` is an SQL condition over `k.hash` written by the owner of the table it reads (a
 * vector under a model key, a detector's result), with its parameters.
 */
export function contentsWithout(
  db: Database.Database,
  done: { sql: string; params: readonly unknown[] },
): ContentSource[] {
  return db
    .prepare(
      `SELECT i.hash AS hash, i.root_id AS rootId, i.rel_path AS relPath, i.frame AS frame
         FROM images i
        WHERE i.id IN (SELECT MIN(k.id) FROM images k
                        WHERE k.status = 'ok' AND k.missing = 0 AND k.hash IS NOT NULL
                          AND NOT (${done.sql})
                        GROUP BY k.hash)
        ORDER BY i.id`,
    )
    .all(...done.params) as ContentSource[];
}
